import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { isProviderId, type ProviderId } from '../../domain/providers';
import type { CatalogueProduct, ProviderAdvice, ProvisionedVoucher, ProvisionOrder } from '../types';
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
  outcome: 'ok' | 'replayed' | 'declined' | 'error' | 'timeout' | 'down';
}

type Env = { Bindings: HttpBindings };

type SimulatedProvision = ProvisionedVoucher & { state: 'PROVISIONED' | 'CONFIRMED' | 'REVERSED' };

/**
 * The provider simulator: answers as each of the ten providers, keeps their voucher ledgers,
 * and takes fault injections through `/sim/behaviours`.
 */
export function createSimulatorApp() {
  const behaviours = new BehaviourBook();
  const ledger: LedgerEntry[] = [];
  const vouchers = new Map<string, SimulatedProvision>();
  const reversedUnseen = new Set<string>();
  const app = new Hono<Env>();

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
  app.get('/health', (c) => c.json({ status: 'UP' }));

  /** Applies the injected behaviour; returns a response to send instead of the normal answer. */
  async function fault(
    c: { env: HttpBindings },
    entry: Omit<LedgerEntry, 'receivedAt' | 'outcome'>,
  ): Promise<{ behaviour?: Behaviour; answer?: Response; record: (outcome: LedgerEntry['outcome']) => void }> {
    const record = (outcome: LedgerEntry['outcome']) =>
      ledger.push({ ...entry, receivedAt: new Date().toISOString(), outcome });
    const behaviour = behaviours.take(entry.provider, entry.operation);
    if (behaviour?.delayMs !== undefined && behaviour.mode !== 'timeout') await sleep(behaviour.delayMs);
    switch (behaviour?.mode) {
      case 'down':
        record('down');
        c.env.incoming.socket.destroy();
        return { answer: new Response(null, { status: 503 }), record };
      case 'error':
        record('error');
        return { answer: Response.json({ message: 'simulated provider error' }, { status: 500 }), record };
      case 'decline':
        record('declined');
        return { answer: Response.json({ code: 'DO_NOT_HONOR', message: 'Do not honour' }, { status: 400 }), record };
      case 'timeout':
        // The provider still acts, only too late: the realistic case that needs a reversal.
        record('timeout');
        await sleep(behaviour.delayMs ?? defaultTimeoutDelayMs);
        return { record: () => {} };
      default:
        return { record };
    }
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
    const { answer, record } = await fault(c, {
      provider,
      operation: 'provision',
      id: order.reference,
      channelMessageId: order.channelMessageId,
    });
    if (answer) return answer;
    const key = `${provider}/${order.reference}`;
    const existing = vouchers.get(key);
    if (existing) {
      record('replayed');
      const { state: _, ...provisioned } = existing;
      return c.json(provisioned, 201);
    }
    const refusal = reversedUnseen.has(key)
      ? { code: 'TRANSACTION_REVERSED', message: 'reversed before it arrived' }
      : checkOrder(simulatedCatalogue[provider], order);
    if (refusal) {
      record('declined');
      return c.json(refusal, 400);
    }
    const provisioned = issueVoucher();
    vouchers.set(key, { ...provisioned, state: 'PROVISIONED' });
    record('ok');
    return c.json(provisioned, 201);
  });

  /** Confirmations and reversals: settled once per provision; a repeat is answered the same way. */
  for (const [path, operation] of [
    ['confirmations', 'confirm'],
    ['reversals', 'reverse'],
  ] as const) {
    app.post(`/providers/:provider/${path}`, async (c) => {
      const provider = c.req.param('provider');
      if (!isProviderId(provider)) return c.json({ code: 'UNKNOWN_PROVIDER', message: provider }, 404);
      const advice = (await c.req.json()) as ProviderAdvice;
      const { answer, record } = await fault(c, {
        provider,
        operation,
        id: advice.id,
        requestId: advice.requestId,
        channelMessageId: advice.channelMessageId,
      });
      if (answer) return answer;
      const provisioned = vouchers.get(`${provider}/${advice.requestId}`);
      if (!provisioned) {
        // Like a real provider, remember it: the provision may still arrive late.
        if (operation === 'reverse') reversedUnseen.add(`${provider}/${advice.requestId}`);
        record('declined');
        return c.json({ code: 'UNKNOWN_TRANSACTION', message: `no provision ${advice.requestId}` }, 404);
      }
      const settled = operation === 'confirm' ? 'CONFIRMED' : 'REVERSED';
      const replay = provisioned.state === settled;
      if (provisioned.state !== 'PROVISIONED' && !replay) {
        record('declined');
        return c.json({ code: 'INVALID_STATE', message: `provision is ${provisioned.state}` }, 400);
      }
      provisioned.state = settled;
      record(replay ? 'replayed' : 'ok');
      return c.json({ id: advice.id, state: settled }, 200);
    });
  }

  return { app, ledger, behaviours };
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

function issueVoucher(): ProvisionedVoucher {
  const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
  return {
    providerReference: randomUUID().slice(0, 12).toUpperCase(),
    voucher: {
      code: digits(16),
      serialNumber: digits(10),
      expiryDate: new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString(),
      redeemInstructions: ['To redeem your voucher', 'enter the USSD code below:', '*999*<pin>#'],
    },
  };
}
