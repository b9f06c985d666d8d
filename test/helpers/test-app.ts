import { randomUUID } from 'node:crypto';
import type { TransactionGateway, VoucherDirectory } from '../../src/api/transactions';
import { loadConfig } from '../../src/config';
import { type ChannelAnswer, isProvisionAnswer, type ProvisionAnswer } from '../../src/contract/answers';
import { openReportingStore } from '../../src/db/client';
import { reportingFigures } from '../../src/db/queries/operations';
import { produceSettlementReport } from '../../src/db/queries/settlement';
import { type AdviceTarget, pendingAdvice, providerAdvice } from '../../src/domain/advices';
import {
  type AdviceKind,
  type AdviceRecord,
  adviceOperations,
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  newLifecycle,
  settle,
  type TransactionType,
} from '../../src/domain/lifecycle';
import type { ProviderFailure, ProviderRegistry } from '../../src/domain/provider-protocol';
import { capabilitiesOf, providerProfiles } from '../../src/domain/providers';
import {
  answerProviderFailure,
  answerProvision,
  type ProvisionInput,
  phaseAfter,
  provisionOrder,
  switchReversalReason,
} from '../../src/domain/provision';
import { answerUse, type UseInput, useOrder } from '../../src/domain/use';
import {
  adviceSettled,
  applyUseOutcome,
  blockVoucher,
  type Claim,
  decideClaim,
  decideWithdrawal,
  holdVoucher,
  refusedClaimAnswer,
  unknownVoucher,
  type VoucherRecord,
  type VoucherUse,
  voucherRecordOf,
  voucherWorkflowId,
} from '../../src/domain/voucher';
import { createLogger } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import { type ApiParts, payloadCodec, switchApp } from '../../src/runtime';
import { voucherKeyer } from '../../src/voucher-key';
import { basicAuth, demoChannel, type Json } from './fixtures';
import { inMemoryProviders, type ProviderBehaviour, type ProviderCall } from './memory-providers';
import { testSettings } from './switch';

/*
 * The real channel API (`switchApp` in src/runtime.ts: authentication, rate limits, validation,
 * the error mapping and the OpenAPI document) on in-memory parts: no port, no Temporal, no
 * simulator. Transactions and vouchers live in maps and are decided by the domain's own rules,
 * as their workflows decide them; providers answer from memory. The switch's own timers (the
 * confirmation window and deadline) do not run, and nothing is written to the reporting copy.
 */

export interface TestAppOptions {
  /** Settings as the environment gives them, over the tests' defaults. */
  env?: Record<string, string>;
  /** How the in-memory providers answer; by default they approve everything. */
  provider?: ProviderBehaviour;
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

const demoAuth = basicAuth(demoChannel.clientId, demoChannel.password);

/** The channel API on in-memory parts; `stop` closes its reporting copy. */
export async function createTestApp({ env = {}, provider = () => undefined }: TestAppOptions = {}) {
  const config = loadConfig(testSettings(env), { servesApi: true });
  const reporting = await openReportingStore(config.database);
  const providerCalls: ProviderCall[] = [];
  const providers = inMemoryProviders(providerCalls, provider);
  const memory = inMemorySwitch(providers, voucherKeyer(config.vouchers.hashKey));
  const app = switchApp(config, {
    reporting,
    ...memory.gateways,
    // In process, as the workflow's activity does it.
    produceSettlementReport: async (day) => {
      await produceSettlementReport(reporting.db, day, config.settlement.businessDay);
      return 'stored' as const;
    },
    providers,
    temporalHealth: async () => {},
    codec: payloadCodec(config),
    logger: createLogger('silent', 'api'),
    metrics: createMetrics({ reporting: reportingFigures(reporting.db), processMetrics: false }),
  });
  const request = async (path: string, init?: RequestInit) => await app.request(path, init);

  return {
    app,
    config,
    reporting,
    /** Each transaction's state, by workflow id, as its workflow would hold it. */
    transactions: memory.transactions,
    /** Each voucher's record, by voucher workflow id. */
    vouchers: memory.vouchers,
    /** Every message the providers received, in order. */
    providerCalls,
    request,
    /** POSTs a channel message as the demo channel (or the given credentials). */
    async post(path: string, body: Json | string, auth = demoAuth) {
      const response = await request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
    },
    async get(path: string, auth = demoAuth) {
      const response = await request(path, { headers: { authorization: auth } });
      return { status: response.status, body: (await response.json()) as Json };
    },
    stop: () => reporting.close(),
  };
}

/** What one transaction type does beyond the rules every transaction shares. */
interface Flow<I> {
  type: TransactionType;
  /** The request, up to the channel's answer: claim the voucher, ask the provider, decide the answer. */
  process(input: I, state: Lifecycle): Promise<void>;
  /** Asked before a reversal settles the transaction; an answer refuses the reversal with it. */
  beforeReversal?(workflowId: string, advice: ChannelAdvice): ChannelAnswer | undefined;
  /** What the channel's settlement of an approved transaction sets in motion. */
  settled(input: I, state: Lifecycle, advice: AdviceRecord): Promise<void>;
}

/** The switch's transactions and vouchers in memory, each decided as its workflow decides it. */
function inMemorySwitch(providers: ProviderRegistry, voucherKey: (code: string) => string) {
  const transactions = new Map<string, Lifecycle>();
  const vouchers = new Map<string, VoucherRecord>();
  /** Single messaging: the voucher usable from the 201 on, and the switch's confirmation it holds. */
  const usable = new Map<string, { voucherId: string; confirmationId: string }>();

  /** Store-and-forward, at once: the provider gets the advice, or the switch consumes it. */
  async function deliver(target: AdviceTarget, advice: AdviceRecord) {
    if (!target.supportsAdvices) {
      advice.saf = 'consumed';
      return;
    }
    const operation = adviceOperations[target.type][advice.kind];
    const exchange = await providers[target.provider].advise(operation, providerAdvice(target, advice), target);
    advice.attempts = 1;
    advice.trace = exchange.trace;
    if (exchange.ok) {
      advice.saf = 'delivered';
      advice.settledAt = new Date().toISOString();
    } else advice.lastError = exchange.failure.message;
  }

  /** A request whose outcome at the provider is unknown: the switch reverses it by itself. */
  async function reverseBySwitch(target: AdviceTarget, state: Lifecycle, failure: ProviderFailure) {
    const reversal = { kind: 'reverse' as const, id: randomUUID(), origin: 'switch' as const };
    await deliver(target, settle(state, { ...reversal, reason: switchReversalReason(failure) }, new Date()));
  }

  const capabilitiesFor = (input: ProvisionInput) =>
    input.capabilities ?? capabilitiesOf(providerProfiles[input.provider]);
  const provisionTarget = (input: ProvisionInput): AdviceTarget => ({
    type: 'provision',
    provider: input.provider,
    supportsAdvices: capabilitiesFor(input).supportsAdvices,
    deadlineMs: input.deadlineMs,
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  });
  const voucherIdOf = (answer: ProvisionAnswer) => voucherWorkflowId(voucherKey(answer.body.voucher.code ?? ''));

  const provision: Flow<ProvisionInput> = {
    type: 'provision',
    async process(input, state) {
      state.provider = input.provider;
      const target = provisionTarget(input);
      const exchange = await providers[input.provider].provision(provisionOrder(input), target);
      state.answer = answerProvision(input, exchange);
      state.answeredAt = new Date().toISOString();
      state.providerLeg = exchange.trace;
      state.phase = phaseAfter(exchange);
      if (!exchange.ok && state.phase === 'REVERSED') await reverseBySwitch(target, state, exchange.failure);
      if (input.messaging === 'single' && isProvisionAnswer(state.answer)) {
        // The voucher is usable at once, holding the confirmation the switch owes the provider.
        const confirmationId = randomUUID();
        const pending = pendingAdvice(target, { kind: 'confirm', id: confirmationId });
        const key = voucherKey(state.answer.body.voucher.code ?? '');
        const record = voucherRecordOf(input, state.answer, key, pending, capabilitiesFor(input));
        vouchers.set(voucherWorkflowId(key), { ...record, withdrawable: true });
        usable.set(input.transactionId, { voucherId: voucherWorkflowId(key), confirmationId });
      }
    },
    beforeReversal(workflowId, advice) {
      const held = usable.get(workflowId);
      const voucher = held && vouchers.get(held.voucherId);
      if (!held || !voucher) return undefined;
      const decided = decideWithdrawal(voucher);
      if (!decided.granted) return refusedClaimAnswer(decided, advice.id, advice.requestId);
      vouchers.set(held.voucherId, decided.voucher);
      return undefined;
    },
    async settled(input, state, advice) {
      if (!isProvisionAnswer(state.answer)) return;
      const target = provisionTarget(input);
      const held = usable.get(input.transactionId);
      const voucherId = voucherIdOf(state.answer);
      if (advice.kind === 'confirm' && !held) {
        const key = voucherKey(state.answer.body.voucher.code ?? '');
        const pending = pendingAdvice(target, advice);
        vouchers.set(voucherId, voucherRecordOf(input, state.answer, key, pending, capabilitiesFor(input)));
      }
      await deliver(target, advice);
      // The voucher learns that its provider has the confirmation, under each id it may hold it by.
      const voucher = vouchers.get(voucherId);
      if (voucher && advice.kind === 'confirm' && advice.saf !== 'pending') {
        const ids = new Set([advice.id, held?.confirmationId ?? advice.id]);
        vouchers.set(voucherId, [...ids].reduce(adviceSettled, voucher));
      }
    },
  };

  const use = (type: VoucherUse): Flow<UseInput> => ({
    type,
    async process(input, state) {
      const voucherId = voucherWorkflowId(input.voucherKey);
      const claim: Claim = {
        use: type,
        reference: input.switchReference,
        workflowId: input.transactionId,
        channelId: input.channelId,
      };
      const found = vouchers.get(voucherId);
      // A reversed or expired voucher's workflow has finished: it takes no claims.
      const open = found && found.state !== 'REVERSED' && found.state !== 'EXPIRED' ? found : undefined;
      const decided = open ? claimOf(open, claim) : unknownVoucher(type);
      if (!decided.granted) {
        state.answer = refusedClaimAnswer(decided, input.request.id);
        state.phase = 'DECLINED';
        return;
      }
      const granted = decided.voucher;
      vouchers.set(voucherId, holdVoucher(granted, claim));
      const told = (outcome: 'approved' | 'failed', delivered: string[]) => {
        const current = vouchers.get(voucherId) as VoucherRecord;
        vouchers.set(
          voucherId,
          applyUseOutcome(current, { use: type, reference: claim.reference, outcome, delivered }),
        );
      };
      state.provider = granted.provider;
      const target = useTarget(input, granted);
      // The provider first gets the advices the voucher still owes it.
      const delivered: string[] = [];
      for (const { operation, ...advice } of granted.pendingAdvices) {
        const exchange = await providers[granted.provider].advise(operation, advice, target);
        if (!exchange.ok) {
          const failure = {
            kind: 'unavailable' as const,
            message: `pending ${operation}: ${exchange.failure.message}`,
          };
          state.answer = answerProviderFailure(input.request.id, granted.provider, failure);
          state.phase = 'DECLINED';
          told('failed', delivered);
          return;
        }
        delivered.push(advice.id);
      }
      const ask = type === 'redemption' ? 'redeem' : 'refund';
      const exchange = await providers[granted.provider][ask](useOrder(input, granted), target);
      state.answer = answerUse(input, granted, exchange);
      state.answeredAt = new Date().toISOString();
      state.providerLeg = exchange.trace;
      state.phase = phaseAfter(exchange);
      told(exchange.ok ? 'approved' : 'failed', delivered);
      if (!exchange.ok && state.phase === 'REVERSED') await reverseBySwitch(target, state, exchange.failure);
    },
    async settled(input, state, advice) {
      const voucherId = voucherWorkflowId(input.voucherKey);
      const voucher = vouchers.get(voucherId);
      if (!voucher) return;
      const outcome = advice.kind === 'confirm' ? 'confirmed' : 'reversed';
      const reference = input.switchReference;
      vouchers.set(voucherId, applyUseOutcome(voucher, { use: type, reference, outcome, delivered: [] }));
      if (state.provider) await deliver(useTarget(input, voucher), advice);
    },
  });

  return {
    transactions,
    vouchers,
    gateways: {
      provisions: inMemoryTransactions(provision, transactions),
      redemptions: inMemoryTransactions(use('redemption'), transactions),
      refunds: inMemoryTransactions(use('refund'), transactions),
      vouchers: { find: async (workflowId) => vouchers.get(workflowId) } satisfies VoucherDirectory,
      backOffice: {
        async setVoucherBlocking(voucherKey, blocking) {
          const voucher = vouchers.get(voucherWorkflowId(voucherKey));
          if (!voucher) return undefined;
          const blocked = blockVoucher(voucher, blocking);
          vouchers.set(voucherWorkflowId(voucherKey), blocked);
          return blocked;
        },
        async redeliverAdvice() {
          throw new Error('an advice is redelivered by its workflow, on Temporal (startTestSwitch)');
        },
      } satisfies ApiParts['backOffice'],
    },
  };
}

/** The voucher's workflow decides the claim, checking its expiry date itself. */
function claimOf(voucher: VoucherRecord, claim: Claim) {
  const profile = providerProfiles[voucher.provider];
  const capabilities = { ...(voucher.capabilities ?? capabilitiesOf(profile)), name: profile.name };
  return decideClaim(voucher, claim, capabilities, Date.now());
}

function useTarget(input: UseInput, voucher: VoucherRecord): AdviceTarget {
  return {
    type: input.type,
    provider: voucher.provider,
    supportsAdvices: (voucher.capabilities ?? capabilitiesOf(providerProfiles[voucher.provider])).supportsAdvices,
    deadlineMs: input.deadlinesMs[voucher.provider],
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  };
}

/**
 * A transaction gateway over a map: a submission, a retry or an advice is answered as the
 * transaction's workflow answers it (src/workflows/transaction.ts), by the same decisions.
 */
function inMemoryTransactions<I extends ProvisionInput | UseInput>(
  flow: Flow<I>,
  transactions: Map<string, Lifecycle>,
): TransactionGateway<I> {
  const inputs = new Map<string, I>();
  /** The request still at the provider: later messages for the transaction wait for it. */
  const inFlight = new Map<string, Promise<void>>();
  const current = async (workflowId: string) => {
    await inFlight.get(workflowId);
    return transactions.get(workflowId);
  };

  async function submit(input: I, mode: 'request' | 'retry'): Promise<ChannelAnswer> {
    const known = await current(input.transactionId);
    if (known) return answerRepeatedSubmission(flow.type, known, input.request.id, mode);
    const state: Lifecycle = { ...newLifecycle(), phase: 'IN_FLIGHT' };
    transactions.set(input.transactionId, state);
    inputs.set(input.transactionId, input);
    const processing = flow.process(input, state);
    inFlight.set(input.transactionId, processing);
    await processing;
    return state.answer as ChannelAnswer;
  }

  async function advise(workflowId: string, advice: ChannelAdvice, kind: AdviceKind, state: Lifecycle) {
    const decision = (kind === 'confirm' ? decideConfirm : decideReverse)(flow.type, state, advice);
    if (decision.accept && decision.settle) {
      const refusal = kind === 'reverse' ? flow.beforeReversal?.(workflowId, advice) : undefined;
      if (refusal) return refusal;
      const reason = 'reversalReason' in advice ? String(advice.reversalReason) : undefined;
      const settled = settle(state, { kind, id: advice.id, origin: 'channel', reason }, new Date());
      const input = inputs.get(workflowId);
      if (input) await flow.settled(input, state, settled);
    }
    if (!decision.accept && decision.remember) state.earlyReversalId = advice.id;
    return decision.answer;
  }

  return {
    submit,
    async retryExisting(input) {
      return transactions.has(input.transactionId) ? submit(input, 'retry') : undefined;
    },
    async confirm(workflowId, advice) {
      const state = await current(workflowId);
      return state && advise(workflowId, advice, 'confirm', state);
    },
    async reverse(workflowId, advice) {
      // A reversal for an unseen request starts the transaction, so that a late request is refused.
      let state = await current(workflowId);
      if (!state) {
        state = newLifecycle();
        transactions.set(workflowId, state);
      }
      return advise(workflowId, advice, 'reverse', state);
    },
    snapshot: current,
  };
}
