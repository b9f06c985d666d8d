import type { UpdateDefinition } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type AdviceDecision,
  type AdviceKind,
  type AdviceRecord,
  adviceOperations,
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  type SubmissionMode,
  type TransactionOrigin,
  type TransactionType,
} from '../domain/lifecycle';
import { type ProviderId, providerProfiles } from '../domain/providers';
import { type ChannelAnswer, lostAttempt, type ProviderAttempt } from '../domain/provision';
import { channelPaths, type TransactionReport } from '../domain/report';
import { confirmTransaction, rejectedWithAnswer, reverseTransaction, transactionSnapshot } from './messages';
import { searchAttributes } from './search-attributes';

/*
 * What every transaction workflow (provision, redemption, refund) does the same way: take the
 * request and the channel's advices, ask the provider once, wait for the settlement, and deliver
 * the advices by store-and-forward.
 */

const { recordTransaction } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: the reporting copy catches up whenever its database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The same write as a local activity, tried once first: it runs inside the workflow task, which
 * spares the server an activity task and a workflow task per write. Bounded, so a slow database
 * holds the task (and an answer completed in it) for two seconds at most before the durable
 * activity takes over. A timed-out try may still land later: the write's revision keeps it from
 * replacing a newer one.
 */
const { recordTransaction: recordTransactionNow } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 seconds',
  retry: { maximumAttempts: 1 },
});

/** The patch under which the reporting write became local-first. */
const localReportingWrite = 'reporting-write-local-first';

/** Rejects an update with the channel's answer: a rejected update leaves no trace in history. */
function reject(answer: ChannelAnswer): never {
  throw ApplicationFailure.create({ type: rejectedWithAnswer, nonRetryable: true, details: [answer] });
}

export function newLifecycle(): Lifecycle {
  return { phase: 'AWAITING_REQUEST', advices: [] };
}

/**
 * Registers the request, advice and snapshot handlers of a transaction; resolves with the
 * request, or with undefined when only a reversal came (the transaction then only remembers it).
 *
 * A workflow started by its request has it from its start (`startedWith`), which is durable
 * before anything is asked of the provider. The update carrying the request is not durable
 * until a workflow task accepts it: a worker lost while it asks the provider (a local activity,
 * in that same task) loses the update but not the request, and the next worker asks again.
 */
export async function receiveRequest<I extends { request: { id: string } }>(
  type: TransactionType,
  state: Lifecycle,
  submit: UpdateDefinition<ChannelAnswer, [I, SubmissionMode]>,
  options: {
    startedWith?: I;
    /** Resolves once what an accepted advice sets in motion is in place; the channel's 202 waits for it. */
    adviceTakenEffect?: () => Promise<void>;
  } = {},
): Promise<I | undefined> {
  const { startedWith, adviceTakenEffect = async () => {} } = options;
  let input: I | undefined = startedWith;
  if (input !== undefined) state.phase = 'IN_FLIGHT';
  // The submission answered with the outcome; every other one is a duplicate or a retry.
  let original: I | undefined;
  // Advices that arrive while the provider is being asked wait for its answer.
  const notInFlight = () => state.phase !== 'IN_FLIGHT';

  setHandler(transactionSnapshot, () => state);

  setHandler(
    submit,
    async (given, mode) => {
      if (input === undefined && state.earlyReversalId === undefined) {
        input = given;
        state.phase = 'IN_FLIGHT';
      }
      // The first submission of the request the workflow started with is the one that started it.
      if (original === undefined && input !== undefined && (given === input || mode === 'request')) original = given;
      await condition(() => state.answer !== undefined || input === undefined);
      return original === given
        ? (state.answer as ChannelAnswer)
        : answerRepeatedSubmission(type, state, given.request.id, mode);
    },
    {
      validator: (given, mode) => {
        if (state.earlyReversalId !== undefined) reject(answerRepeatedSubmission(type, state, given.request.id, mode));
      },
    },
  );

  function handleAdvice<A extends ChannelAdvice & { reversalReason?: string }>(
    update: UpdateDefinition<ChannelAnswer, [A]>,
    kind: AdviceKind,
    decide: (type: TransactionType, state: Lifecycle, advice: A) => AdviceDecision,
  ) {
    setHandler(
      update,
      async (advice) => {
        await condition(notInFlight);
        const decision = decide(type, state, advice);
        if (decision.accept && decision.settle) settle(state, kind, advice.id, 'channel', advice.reversalReason);
        if (!decision.accept && decision.remember) state.earlyReversalId = advice.id;
        if (decision.accept) await adviceTakenEffect();
        return decision.answer;
      },
      {
        validator: (advice) => {
          if (!notInFlight()) return;
          const decision = decide(type, state, advice);
          if (!decision.accept && !decision.remember) reject(decision.answer);
        },
      },
    );
  }
  handleAdvice(confirmTransaction, 'confirm', decideConfirm);
  handleAdvice(reverseTransaction, 'reverse', decideReverse);

  await condition(() => input !== undefined || state.earlyReversalId !== undefined);
  return input;
}

export type SearchFields = Partial<Record<keyof typeof searchAttributes, string | undefined>>;

/** Keeps the workflow's search attributes (the Web UI's filters) up to date; sends only what changed. */
export function searchable(initial: SearchFields = {}) {
  const sent: SearchFields = {};
  const update = (fields: SearchFields) => {
    const changed = (Object.keys(fields) as (keyof SearchFields)[]).filter(
      (field) => fields[field] !== undefined && fields[field] !== sent[field],
    );
    if (changed.length === 0) return;
    for (const field of changed) sent[field] = fields[field];
    upsertSearchAttributes(changed.map((field) => ({ key: searchAttributes[field], value: fields[field] as string })));
  };
  update(initial);
  return update;
}

/**
 * A transaction of which only a reversal arrived: recorded so operators see it, then finished.
 * The finished workflow keeps the reversal and refuses the request if it comes late.
 */
export async function finishEarlyReversal(type: TransactionType, state: Lifecycle, origin?: TransactionOrigin) {
  const reversal = state.earlyReversalId;
  if (origin && reversal) {
    const reporting = reportingChain(() => ({
      type,
      transactionId: workflowInfo().workflowId,
      channelId: origin.channelId,
      channelPath: channelPaths[type],
      request: { id: origin.messageId },
      receivedAt: new Date().toISOString(),
      lifecycle: state,
    }));
    reporting.record();
    await reporting.finish();
  }
  await condition(allHandlersFinished);
  return state;
}

/** Settles the transaction with a confirmation or reversal, to be delivered to the provider. */
export function settle(
  state: Lifecycle,
  kind: AdviceKind,
  id: string,
  origin: AdviceRecord['origin'],
  reason?: string,
): AdviceRecord {
  const advice: AdviceRecord = { kind, id, origin, reason, saf: 'pending', acceptedAt: new Date().toISOString() };
  state.advices.push(advice);
  state.phase = kind === 'confirm' ? 'CONFIRMED' : 'REVERSED';
  return advice;
}

/** The switch settles an approved transaction that nobody settled within its window. */
export async function awaitSettlement(state: Lifecycle, settleAfterMs: number, messaging: 'single' | 'dual') {
  if (state.phase !== 'APPROVED') return;
  await condition(() => state.phase !== 'APPROVED', settleAfterMs);
  // The deadline and the channel's advice can come in one workflow task, the timer first: the
  // advice, already answered 202, settles it.
  if (state.phase !== 'APPROVED') return;
  // Single messaging: the switch confirms for the channel. Dual: an unconfirmed transaction is reversed.
  settle(state, messaging === 'single' ? 'confirm' : 'reverse', uuid4(), 'switch', 'TIMEOUT');
}

/**
 * Calls the provider once. A request is never repeated blindly: an unknown outcome is settled
 * by reversal instead. A lost worker ends the call like a provider timeout.
 *
 * For a provider that takes retries, the call is a local activity: it runs inside the workflow
 * task, which saves a round trip through the server on every request. Should the worker be lost
 * mid-call, the next worker asks again with the same switch reference, which such a provider
 * answers with the same outcome. A provider without retries would refuse that second request,
 * so it gets a regular activity whose loss is settled by reversal.
 */
export async function askProvider<T>(
  provider: ProviderId,
  deadlineMs: number,
  order: unknown,
  call: (activities: Activities) => Promise<ProviderAttempt<T>>,
): Promise<ProviderAttempt<T>> {
  const options = {
    // The activity gives up at the provider's deadline itself; this bound only catches a lost worker.
    startToCloseTimeout: deadlineMs + 5_000,
    retry: { maximumAttempts: 1 },
  };
  const activities = providerProfiles[provider].supportsRetries
    ? proxyLocalActivities<Activities>(options)
    : proxyActivities<Activities>(options);
  const startedAt = new Date().toISOString();
  try {
    return await call(activities);
  } catch (error) {
    return lostAttempt(order, startedAt, (error as Error).message);
  }
}

/** Where a transaction's advices go: its provider, and the request they settle. */
export interface AdviceTarget {
  type: TransactionType;
  provider: ProviderId;
  deadlineMs: number;
  /** The switch reference the provider knows the request by. */
  requestReference: string;
  channelMessageId: string;
}

/** Delivers each pending advice until the provider settles it; providers without advices have them consumed. */
export async function storeAndForward(target: AdviceTarget, advices: AdviceRecord[]) {
  const { deliverAdvice } = proxyActivities<Activities>({
    startToCloseTimeout: target.deadlineMs + 5_000,
    // No attempt limit and no time limit: the advice is repeated until the provider answers.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  for (const advice of advices.filter((a) => a.saf === 'pending')) {
    if (!providerProfiles[target.provider].supportsAdvices) {
      advice.saf = 'consumed';
      continue;
    }
    const delivery = await deliverAdvice({
      provider: target.provider,
      operation: adviceOperations[target.type][advice.kind],
      advice: providerAdvice(target, advice),
      deadlineMs: target.deadlineMs,
    });
    advice.saf = delivery.saf;
    advice.attempts = delivery.attempts;
    advice.lastError = delivery.error;
    advice.trace = delivery.trace;
    advice.settledAt = new Date().toISOString();
  }
}

export function providerAdvice(target: AdviceTarget, advice: AdviceRecord) {
  return {
    id: advice.id,
    requestId: target.requestReference,
    channelMessageId: target.channelMessageId,
    reason: advice.reason,
  };
}

/**
 * Writes to the reporting copy one after another, each with the state of its moment, without
 * holding up the transaction beyond the local try's two seconds: a reporting outage stops
 * neither timers nor deliveries.
 */
export function reportingChain(report: () => TransactionReport) {
  let recording = Promise.resolve();
  let revision = 0;
  const describe = searchable();
  // Workflows that began writing with durable activities only go on that way when replayed.
  const localFirst = patched(localReportingWrite);
  const write = (snapshot: TransactionReport) =>
    localFirst ? recordTransactionNow(snapshot).catch(() => recordTransaction(snapshot)) : recordTransaction(snapshot);
  return {
    /** Records the transaction as it is now, in the reporting copy and in its search attributes. */
    record() {
      revision += 1;
      const snapshot = { ...report(), revision };
      describe({
        transactionType: snapshot.type,
        channel: snapshot.channelId,
        provider: snapshot.provider,
        voucherProvider: snapshot.voucherProvider,
        product: snapshot.productId,
        state: snapshot.lifecycle.phase,
      });
      recording = recording.then(() => write(snapshot));
    },
    /** Waits for the last write, then for every handler, so the workflow can finish. */
    async finish() {
      await recording;
      await condition(allHandlersFinished);
    },
  };
}
