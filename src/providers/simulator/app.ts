import { randomInt, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { writeSwitchCsv } from '../../domain/provider-files';
import type {
  CatalogueProduct,
  ProviderAdvice,
  ProvisionedVoucher,
  ProvisionOrder,
  VoucherUseOrder,
  VoucherUseReceipt,
} from '../../domain/provider-protocol';
import { isProviderId, type ProviderId, providerProfiles } from '../../domain/providers';
import {
  type Behaviour,
  BehaviourBook,
  behaviourSchema,
  defaultTimeoutDelayMs,
  type SimulatedOperation,
} from './behaviours';
import { simulatedCatalogue } from './catalogue';

/** One message a simulated provider received (contract §2). */
export interface LedgerEntry {
  provider: ProviderId;
  operation: SimulatedOperation;
  id?: string;
  requestId?: string;
  channelMessageId?: string;
  receivedAt: string;
  outcome: 'ok' | 'replayed' | 'declined' | 'error' | 'timeout' | 'down' | 'replied';
}

/** A message as it arrived, before any injected delay or fault and before the provider answers it. */
export type Arrival = Omit<LedgerEntry, 'receivedAt' | 'outcome'>;

type Env = { Bindings: HttpBindings };

type Recorder = (outcome: LedgerEntry['outcome']) => void;

type VoucherState = 'PROVISIONED' | 'CONFIRMED' | 'REVERSED' | 'REDEEMED' | 'REDEMPTION_CONFIRMED' | 'REFUNDED';

/** What the provider knows a request by: a provision, a redemption or a refund. */
type RequestKind = 'provision' | 'redemption' | 'refund';

/** A request the provider took, settled once, with the answer a repeat of it gets. */
interface SimulatedRequest {
  kind: RequestKind;
  /** The switch's reference, as the request named itself. */
  reference: string;
  takenAt: string;
  state: 'PENDING' | 'CONFIRMED' | 'REVERSED';
  /** The voucher, its value (a provision's amount), and the reference of the redemption that took it last. */
  voucher: { state: VoucherState; amount?: number; redeemedWith?: string };
  answer: ProvisionedVoucher | VoucherUseReceipt;
}

/** Redemptions and refunds: the voucher state each needs, and the refusal for any other state. */
const voucherUses: {
  path: string;
  operation: SimulatedOperation;
  kind: RequestKind;
  from: VoucherState;
  to: VoucherState;
  refusals: Partial<Record<VoucherState, string>>;
  otherwise: string;
}[] = [
  {
    path: 'redemptions',
    operation: 'redeem',
    kind: 'redemption',
    from: 'CONFIRMED',
    to: 'REDEEMED',
    refusals: {
      REDEEMED: 'VOUCHER_ALREADY_REDEEMED',
      REDEMPTION_CONFIRMED: 'VOUCHER_ALREADY_REDEEMED',
      REFUNDED: 'VOUCHER_ALREADY_REDEEMED',
    },
    otherwise: 'VOUCHER_NOT_REDEEMABLE',
  },
  {
    path: 'refunds',
    operation: 'refund',
    kind: 'refund',
    from: 'REDEMPTION_CONFIRMED',
    to: 'REFUNDED',
    refusals: { REDEEMED: 'REDEMPTION_NOT_CONFIRMED', REFUNDED: 'VOUCHER_ALREADY_REFUNDED' },
    otherwise: 'VOUCHER_NOT_REDEEMED',
  },
];

/**
 * Confirmations and reversals: the request each settles and where its voucher goes then. A reversed
 * redemption or a confirmed refund makes the voucher redeemable again.
 */
const settlements: {
  path: string;
  operation: SimulatedOperation;
  kind: RequestKind;
  settled: 'CONFIRMED' | 'REVERSED';
  voucher: VoucherState;
}[] = [
  { path: 'confirmations', operation: 'confirm', kind: 'provision', settled: 'CONFIRMED', voucher: 'CONFIRMED' },
  { path: 'reversals', operation: 'reverse', kind: 'provision', settled: 'REVERSED', voucher: 'REVERSED' },
  {
    path: 'redemptions/confirmations',
    operation: 'confirmRedeem',
    kind: 'redemption',
    settled: 'CONFIRMED',
    voucher: 'REDEMPTION_CONFIRMED',
  },
  {
    path: 'redemptions/reversals',
    operation: 'reverseRedeem',
    kind: 'redemption',
    settled: 'REVERSED',
    voucher: 'CONFIRMED',
  },
  {
    path: 'refunds/confirmations',
    operation: 'confirmRefund',
    kind: 'refund',
    settled: 'CONFIRMED',
    voucher: 'CONFIRMED',
  },
  {
    path: 'refunds/reversals',
    operation: 'reverseRefund',
    kind: 'refund',
    settled: 'REVERSED',
    voucher: 'REDEMPTION_CONFIRMED',
  },
];

/**
 * The provider simulator: answers as each of the ten providers, keeps their voucher ledgers,
 * and takes fault injections through `/sim/behaviours`.
 */
export function createSimulatorApp() {
  const behaviours = new BehaviourBook();
  const ledger: LedgerEntry[] = [];
  /** By `provider/kind/reference`: what each provider was asked, and the references it saw reversed first. */
  const requests = new Map<string, SimulatedRequest>();
  const reversedUnseen = new Set<string>();
  /** By `provider/kind/reference`: the requests each provider declined, declined again when repeated. */
  const declined = new Map<string, { code: string; message: string; status: number }>();
  /** By `provider/code`: the vouchers each provider issued. */
  const vouchers = new Map<string, SimulatedRequest['voucher']>();
  const app = new Hono<Env>();
  const arrivals: Arrival[] = [];
  const arrived = new EventEmitter<{ arrival: [Arrival] }>();

  /**
   * Resolves with the first message matching `match` to arrive, or that already has: a test can
   * act while the provider is still answering it.
   */
  function received(match: Partial<Arrival>): Promise<Arrival> {
    const matches = (arrival: Arrival) =>
      Object.entries(match).every(([key, value]) => arrival[key as keyof Arrival] === value);
    const earlier = arrivals.find(matches);
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve) => {
      const listener = (arrival: Arrival) => {
        if (!matches(arrival)) return;
        arrived.off('arrival', listener);
        resolve(arrival);
      };
      arrived.on('arrival', listener);
    });
  }

  app.post('/sim/behaviours', async (c) => {
    const parsed = behaviourSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: parsed.error.issues }, 400);
    behaviours.add(parsed.data);
    return c.body(null, 204);
  });
  app.delete('/sim/behaviours', (c) => {
    behaviours.clear();
    return c.body(null, 204);
  });
  app.get('/sim/ledger', (c) => {
    const filters = ['provider', 'id', 'requestId', 'channelMessageId'] as const;
    const entries = ledger.filter((entry) =>
      filters.every((key) => {
        const wanted = c.req.query(key);
        return wanted === undefined || wanted === '' || entry[key] === wanted;
      }),
    );
    return c.json({ entries });
  });
  /**
   * A provider's transaction file (`switch-csv`): every request it took in `[from, to)` (ISO
   * times; both optional), as it stands now. What an operator would get from the provider.
   */
  app.get('/sim/ledger/export', (c) => {
    const provider = c.req.query('provider');
    const from = c.req.query('from') ?? '';
    const to = c.req.query('to') ?? '\uffff';
    const lines = [...requests.entries()]
      .filter(([key, request]) => key.startsWith(`${provider}/`) && request.takenAt >= from && request.takenAt < to)
      .map(([, request]) => ({
        switchReference: request.reference,
        providerReference: request.answer.providerReference,
        type: request.kind,
        amount: request.voucher.amount,
        state: request.state,
        time: request.takenAt,
      }));
    return c.body(writeSwitchCsv(lines), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });
  app.get('/health', (c) => c.json({ status: 'UP' }));

  /**
   * Applies the injected behaviour; `answer` is a response to send instead of the normal answer.
   * `decline` records a refusal and answers it as providers do; a request's (`requestKey`) is
   * remembered, as a provider that takes retries answers a reference with its first outcome.
   */
  async function fault(
    c: { env: HttpBindings },
    entry: Omit<LedgerEntry, 'receivedAt' | 'outcome'>,
    requestKey?: string,
  ): Promise<{
    answer?: Response;
    record: Recorder;
    decline: (code: string, message: string, status?: number) => Response;
    /** The behaviour applied, if any: what it says of the answer beyond its mode. */
    behaviour?: Behaviour;
  }> {
    arrivals.push(entry);
    arrived.emit('arrival', entry);
    const log: Recorder = (outcome) => ledger.push({ ...entry, receivedAt: new Date().toISOString(), outcome });
    const behaviour = behaviours.take(entry.provider, entry.operation);
    if (behaviour?.delayMs !== undefined && behaviour.mode !== 'timeout') await sleep(behaviour.delayMs);
    // A timed-out call is already in the ledger as such: its late outcome is not recorded again.
    const record: Recorder = behaviour?.mode === 'timeout' ? () => {} : log;
    const decline = (code: string, message: string, status = 400) => {
      if (requestKey) declined.set(requestKey, { code, message, status });
      record('declined');
      return Response.json({ code, message }, { status });
    };
    switch (behaviour?.mode) {
      case 'down':
        log('down');
        c.env.incoming.socket.destroy();
        return { answer: new Response(null, { status: 503 }), record, decline };
      case 'error':
        log('error');
        return { answer: Response.json({ message: 'simulated provider error' }, { status: 500 }), record, decline };
      case 'decline':
        return {
          answer: decline(behaviour.code ?? 'DO_NOT_HONOR', 'Declined by the simulator', behaviour.status),
          record,
          decline,
        };
      case 'reply':
        log('replied');
        return { answer: new Response(behaviour.body ?? null, { status: behaviour.status ?? 200 }), record, decline };
      case 'timeout':
        // The provider still acts, only too late: the realistic case that needs a reversal.
        log('timeout');
        await sleep(behaviour.delayMs ?? defaultTimeoutDelayMs);
        return { record, decline, behaviour };
      default:
        return { record, decline, behaviour };
    }
  }

  /** A request's repeat, answered as the first time: its voucher or receipt, or its decline. */
  function answerAgain(key: string, record: Recorder): Response | undefined {
    const taken = requests.get(key);
    if (taken) {
      record('replayed');
      return Response.json(taken.answer, { status: 201 });
    }
    const refusal = declined.get(key);
    if (!refusal) return undefined;
    record('replayed');
    return Response.json({ code: refusal.code, message: refusal.message }, { status: refusal.status });
  }

  app.get('/providers/:provider/products', async (c) => {
    const provider = c.req.param('provider');
    if (!isProviderId(provider)) return c.json({ code: 'UNKNOWN_PROVIDER', message: provider }, 404);
    const { answer, record } = await fault(c, { provider, operation: 'lookup' });
    if (answer) return answer;
    record('ok');
    return c.json({ products: simulatedCatalogue[provider] });
  });

  app.post('/providers/:provider/vouchers', async (c) => {
    const provider = c.req.param('provider');
    if (!isProviderId(provider)) return c.json({ code: 'UNKNOWN_PROVIDER', message: provider }, 404);
    const order = (await c.req.json()) as ProvisionOrder;
    const key = `${provider}/provision/${order.reference}`;
    const { answer, record, decline, behaviour } = await fault(
      c,
      { provider, operation: 'provision', id: order.reference, channelMessageId: order.channelMessageId },
      key,
    );
    if (answer) return answer;
    const repeated = answerAgain(key, record);
    if (repeated) return repeated;
    const refusal = reversedUnseen.has(key)
      ? { code: 'TRANSACTION_REVERSED', message: 'reversed before it arrived' }
      : checkOrder(simulatedCatalogue[provider], order);
    if (refusal) return decline(refusal.code, refusal.message);
    const provisioned = issueVoucher(behaviour?.expiresInMs);
    const voucher = { state: 'PROVISIONED' as VoucherState, amount: order.amount?.amount };
    vouchers.set(`${provider}/${provisioned.voucher.code}`, voucher);
    const takenAt = new Date().toISOString();
    requests.set(key, {
      kind: 'provision',
      reference: order.reference,
      takenAt,
      state: 'PENDING',
      voucher,
      answer: provisioned,
    });
    record('ok');
    return c.json(provisioned, 201);
  });

  /** Redemptions and refunds: taken once per reference; a repeat is answered the same way. */
  for (const use of voucherUses) {
    app.post(`/providers/:provider/${use.path}`, async (c) => {
      const provider = c.req.param('provider');
      if (!isProviderId(provider)) return c.json({ code: 'UNKNOWN_PROVIDER', message: provider }, 404);
      const order = (await c.req.json()) as VoucherUseOrder;
      const key = `${provider}/${use.kind}/${order.reference}`;
      const { answer, record, decline } = await fault(
        c,
        { provider, operation: use.operation, id: order.reference, channelMessageId: order.channelMessageId },
        key,
      );
      if (answer) return answer;
      if (!providerProfiles[provider].supportsRedemption) {
        return decline('FUNCTION_NOT_SUPPORTED', `${provider} does not redeem vouchers`);
      }
      const repeated = answerAgain(key, record);
      if (repeated) return repeated;
      if (reversedUnseen.has(key)) return decline('TRANSACTION_REVERSED', 'reversed before it arrived');
      const voucher = vouchers.get(`${provider}/${order.voucherCode}`);
      if (!voucher) return decline(use.otherwise, `no voucher ${order.voucherCode}`);
      if (voucher.state !== use.from) {
        return decline(use.refusals[voucher.state] ?? use.otherwise, `voucher is ${voucher.state}`);
      }
      // A refund that names its redemption must name the one that took the voucher.
      if (use.kind === 'refund' && order.redemptionReference && order.redemptionReference !== voucher.redeemedWith) {
        return decline('INVALID_REDEMPTION', `redemption ${order.redemptionReference} did not take this voucher`);
      }
      const receipt: VoucherUseReceipt = { providerReference: newProviderReference() };
      voucher.state = use.to;
      if (use.kind === 'redemption') voucher.redeemedWith = order.reference;
      const takenAt = new Date().toISOString();
      requests.set(key, {
        kind: use.kind,
        reference: order.reference,
        takenAt,
        state: 'PENDING',
        voucher,
        answer: receipt,
      });
      record('ok');
      return c.json(receipt, 201);
    });
  }

  /** Confirmations and reversals: settled once per request; a repeat is answered the same way. */
  for (const { path, operation, kind, settled, voucher } of settlements) {
    app.post(`/providers/:provider/${path}`, async (c) => {
      const provider = c.req.param('provider');
      if (!isProviderId(provider)) return c.json({ code: 'UNKNOWN_PROVIDER', message: provider }, 404);
      const advice = (await c.req.json()) as ProviderAdvice;
      const { answer, record, decline } = await fault(c, {
        provider,
        operation,
        id: advice.id,
        requestId: advice.requestId,
        channelMessageId: advice.channelMessageId,
      });
      if (answer) return answer;
      const key = `${provider}/${kind}/${advice.requestId}`;
      const request = requests.get(key);
      if (!request) {
        // Like a real provider, remember it: the request may still arrive late.
        if (settled === 'REVERSED') reversedUnseen.add(key);
        return decline('UNKNOWN_TRANSACTION', `no ${kind} ${advice.requestId}`, 404);
      }
      const replay = request.state === settled;
      if (request.state !== 'PENDING' && !replay) return decline('INVALID_STATE', `${kind} is ${request.state}`);
      if (!replay) {
        // Safe without checking the voucher: while its request is pending nothing else can move it.
        request.state = settled;
        request.voucher.state = voucher;
      }
      record(replay ? 'replayed' : 'ok');
      return c.json({ id: advice.id, state: settled }, 200);
    });
  }

  return { app, ledger, behaviours, received };
}

function checkOrder(catalogue: CatalogueProduct[], order: ProvisionOrder) {
  if (order.productId === undefined) return undefined;
  const product = catalogue.find((p) => p.productId === order.productId);
  if (!product) return { code: 'INVALID_PRODUCT', message: `unknown product ${order.productId}` };
  if (product.isFixedValue || !order.amount) return undefined;
  const { amount } = order.amount;
  const tooSmall = product.minAmount && amount < product.minAmount.amount;
  const tooLarge = product.maxAmount && amount > product.maxAmount.amount;
  return tooSmall || tooLarge ? { code: 'INVALID_AMOUNT', message: `amount ${amount} out of range` } : undefined;
}

export function newProviderReference(): string {
  return randomUUID().slice(0, 12).toUpperCase();
}

const aYear = 365 * 24 * 3600 * 1000;

/** A voucher as the simulated providers issue it: a 16-digit code, valid for a year by default. */
export function issueVoucher(expiresInMs = aYear): ProvisionedVoucher {
  const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
  return {
    providerReference: newProviderReference(),
    voucher: {
      code: digits(16),
      serialNumber: digits(10),
      expiryDate: new Date(Date.now() + expiresInMs).toISOString(),
      redeemInstructions: ['To redeem your voucher', 'enter the USSD code below:', '*999*<pin>#'],
    },
  };
}
