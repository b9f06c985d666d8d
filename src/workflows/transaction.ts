import type { UpdateDefinition } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChannelAnswer } from '../contract/answers';
import {
  type AdviceDecision,
  type AdviceKind,
  type AdviceRecord,
  adviceOperations,
  answerRepeatedSubmission,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  type SubmissionMode,
  type TransactionOrigin,
  type TransactionType,
} from '../domain/lifecycle';
import type { ProviderId } from '../domain/providers';
import { lostAttempt, type ProviderAttempt } from '../domain/provision';
import { channelPaths, reportingWriteRefused, type TransactionReport } from '../domain/report';
import {
  type Abandonment,
  abandonTransaction,
  confirmTransaction,
  type ReversalAdvice,
  rejectedWithAnswer,
  reverseTransaction,
  transactionSnapshot,
} from './messages';
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

/** Bounded like the local reporting write: a slow or absent reporting copy holds no transaction up. */
const { findEarlierRun: findEarlierRunNow } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 second',
  retry: { maximumAttempts: 1 },
});

/** The patch under which the reporting write became local-first. */
const localReportingWrite = 'reporting-write-local-first';

function refusedByTheCopy(failure: unknown): boolean {
  const cause = (failure as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === reportingWriteRefused;
}

/** The patch under which a transaction first looks for an earlier run of its workflow id in the reporting copy. */
const earlierRunCheck = 'earlier-run-check';

/** Rejects an update with the channel's answer: a rejected update leaves no trace in history. */
function reject(answer: ChannelAnswer): never {
  throw ApplicationFailure.create({ type: rejectedWithAnswer, nonRetryable: true, details: [answer] });
}

export function newLifecycle(): Lifecycle {
  return { phase: 'AWAITING_REQUEST', advices: [] };
}

/**
 * Held while an advice is being decided, which may take asking elsewhere first (a reversal that
 * takes the voucher back from its workflow): every other advice, and the switch's own timer,
 * waits for it to be let go.
 */
export interface SettlementLock {
  held: boolean;
}

/** The request the transaction started with, or undefined when only a reversal came. */
export interface ReceivedRequest<I> {
  input?: I;
  /** Only an earlier run's state was found: this run answers for it and asks nothing of the provider. */
  earlierRun: boolean;
}

/**
 * Registers the request, advice and snapshot handlers of a transaction; resolves with the
 * request, or with no input when only a reversal came (the transaction then only remembers it).
 *
 * A workflow started by its request has it from its start (`startedWith`), which is durable
 * before anything is asked of the provider. The update carrying the request is not durable
 * until a workflow task accepts it: a worker lost while it asks the provider (a local activity,
 * in that same task) loses the update but not the request, and the next worker asks again.
 *
 * A workflow id seen before whose history is gone (the namespace's retention) starts afresh; the
 * reporting copy still knows it, and the transaction then answers as the earlier run would have.
 */
export async function receiveRequest<I extends { request: { id: string } }>(
  type: TransactionType,
  state: Lifecycle,
  submit: UpdateDefinition<ChannelAnswer, [I, SubmissionMode]>,
  options: {
    startedWith?: I;
    lock?: SettlementLock;
    /** Whether what an accepted advice sets in motion is in place; the channel's 202 waits for it. */
    adviceInEffect?: () => boolean;
    /** Whether what the answer promises is in place; the channel's answer waits for it. */
    answerInEffect?: () => boolean;
    /** Asked before a reversal settles the transaction; an answer refuses the reversal with it. */
    beforeReversal?: (advice: ReversalAdvice) => Promise<ChannelAnswer | undefined>;
  } = {},
): Promise<ReceivedRequest<I>> {
  const {
    startedWith,
    lock = { held: false },
    adviceInEffect = () => true,
    answerInEffect = () => true,
    beforeReversal,
  } = options;
  let input: I | undefined = startedWith;
  if (input !== undefined) state.phase = 'IN_FLIGHT';
  // The submission answered with the outcome; every other one is a duplicate or a retry.
  let original: I | undefined;
  // Requests answered as duplicates, by update id: a duplicate's answer lost on its way changes nothing.
  const duplicates = new Set<string>();
  // Advices that arrive while the provider is being asked, or while a settlement is under way, wait.
  const notInFlight = () => state.phase !== 'IN_FLIGHT' && !lock.held;
  const adoptEarlierRun = earlierRunOnce(state);

  setHandler(transactionSnapshot, () => state);

  setHandler(
    submit,
    async (given, mode) => {
      if (input === undefined && state.earlyReversalId === undefined && !state.earlierRun) {
        input = given;
        state.phase = 'IN_FLIGHT';
      }
      // The first submission of the request the workflow started with is the one that started it.
      if (original === undefined && input !== undefined && (given === input || mode === 'request')) original = given;
      const updateId = currentUpdateInfo()?.id;
      if (mode === 'request' && original !== given && updateId !== undefined) duplicates.add(updateId);
      await condition(() => state.answer !== undefined || input === undefined || state.earlierRun === true);
      if (state.earlierRun) return answerRepeatedSubmission(type, state, given.request.id, mode);
      if (state.answer !== undefined) await condition(answerInEffect);
      return original === given
        ? (state.answer as ChannelAnswer)
        : answerRepeatedSubmission(type, state, given.request.id, mode);
    },
    {
      // A submission whose answer is known already is answered here: a rejected update writes no
      // history, so a channel repeating itself cannot grow it. The original submission is never
      // refused: while its slot is open it may still be the one that started the workflow.
      validator: (given, mode) => {
        if (state.earlyReversalId !== undefined || state.earlierRun) {
          reject(answerRepeatedSubmission(type, state, given.request.id, mode));
        }
        const answered = state.answer !== undefined && answerInEffect();
        if (answered && (mode === 'retry' || original !== undefined)) {
          reject(answerRepeatedSubmission(type, state, given.request.id, mode));
        }
      },
    },
  );

  /**
   * Takes an advice once the transaction is no longer in flight: the channel's, or the switch's
   * own reversal of a submission whose outcome it could not pass on (`abandonment`).
   */
  async function takeAdvice<A extends ReversalAdvice>(
    kind: AdviceKind,
    decide: (type: TransactionType, state: Lifecycle, advice: A) => AdviceDecision,
    advice: A,
    abandonment?: Pick<Abandonment, 'submission' | 'told'>,
  ): Promise<ChannelAnswer> {
    // One advice at a time: the next one is decided on what this one leaves.
    while (!notInFlight()) await condition(notInFlight);
    lock.held = true;
    let decision: AdviceDecision;
    try {
      // A reversal that starts a run of an id seen before is decided by the earlier run's state.
      if (input === undefined && state.phase === 'AWAITING_REQUEST') await adoptEarlierRun();
      decision = decide(type, state, advice);
      if (decision.accept && decision.settle) {
        const refusal = kind === 'reverse' ? await beforeReversal?.(advice) : undefined;
        if (refusal) return refusal;
        settle(state, kind, advice.id, abandonment ? 'switch' : 'channel', advice.reversalReason);
      }
      if (!decision.accept && decision.remember) state.earlyReversalId = advice.id;
      if (abandonment && decision.accept) state.channelError = abandonment.told;
    } finally {
      lock.held = false;
    }
    if (decision.accept) await condition(adviceInEffect);
    return decision.answer;
  }

  function handleAdvice<A extends ReversalAdvice>(
    update: UpdateDefinition<ChannelAnswer, [A]>,
    kind: AdviceKind,
    decide: (type: TransactionType, state: Lifecycle, advice: A) => AdviceDecision,
  ) {
    setHandler(update, (advice) => takeAdvice(kind, decide, advice), {
      // Refusals and repeats are answered here, writing no history (see the submit validator).
      validator: (advice) => {
        if (!notInFlight()) return;
        const decision = decide(type, state, advice);
        if (!decision.accept && !decision.remember) reject(decision.answer);
        if (decision.accept && !decision.settle && adviceInEffect()) reject(decision.answer);
      },
    });
  }
  handleAdvice(confirmTransaction, 'confirm', decideConfirm);
  handleAdvice(reverseTransaction, 'reverse', decideReverse);

  // A signal, so that it is durable as soon as the API has sent it, whatever becomes of the worker.
  setHandler(abandonTransaction, async ({ submission, told, ...reversal }) => {
    // The answer lost was a duplicate's: the channel has the outcome from the original.
    if (duplicates.has(submission)) return;
    await takeAdvice('reverse', decideReverse, reversal, { submission, told });
  });

  await condition(() => input !== undefined || state.earlyReversalId !== undefined || state.earlierRun === true);
  if (state.earlierRun) return { earlierRun: true };
  if (input === undefined) return { earlierRun: false };
  return { input, earlierRun: await adoptEarlierRun() };
}

/**
 * Looks once for an earlier run of this workflow id in the reporting copy, and when there is
 * one takes its state over. The reporting copy being out of reach is no reason to hold up a
 * transaction: it is then taken as new.
 */
function earlierRunOnce(state: Lifecycle): () => Promise<boolean> {
  let found: Promise<boolean> | undefined;
  return () => {
    found ??= (async () => {
      if (!patched(earlierRunCheck)) return false;
      const { workflowId, runId } = workflowInfo();
      const earlier = await findEarlierRunNow({ transactionId: workflowId, runId }).catch((error: Error) => {
        log.warn('earlier runs could not be looked for', { error: error.message });
        return undefined;
      });
      if (!earlier) return false;
      Object.assign(state, earlier, { earlierRun: true });
      return true;
    })();
    return found;
  };
}

/**
 * A transaction that only answered for an earlier run: it keeps that run's state for its
 * queries and writes nothing, the reporting copy's row being the earlier run's.
 */
export async function finishRepeat(state: Lifecycle): Promise<Lifecycle> {
  await condition(allHandlersFinished);
  return state;
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
      runId: workflowInfo().runId,
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

/**
 * The switch settles an approved transaction that nobody settled within its window, with
 * `adviceId` as its advice's id (a fresh one by default).
 */
export async function awaitSettlement(
  state: Lifecycle,
  settleAfterMs: number,
  messaging: 'single' | 'dual',
  options: { lock?: SettlementLock; adviceId?: () => string } = {},
) {
  const { lock, adviceId = uuid4 } = options;
  if (state.phase !== 'APPROVED') return;
  await condition(() => state.phase !== 'APPROVED', settleAfterMs);
  // A reversal being decided elsewhere at the deadline goes first: it may still be refused.
  if (lock) await condition(() => !lock.held);
  // The deadline and the channel's advice can come in one workflow task, the timer first: the
  // advice, already answered 202, settles it.
  if (state.phase !== 'APPROVED') return;
  // Single messaging: the switch confirms for the channel. Dual: an unconfirmed transaction is reversed.
  settle(state, messaging === 'single' ? 'confirm' : 'reverse', adviceId(), 'switch', 'TIMEOUT');
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
  supportsRetries: boolean,
  deadlineMs: number,
  order: unknown,
  call: (activities: Activities) => Promise<ProviderAttempt<T>>,
): Promise<ProviderAttempt<T>> {
  const options = {
    // The activity gives up at the provider's deadline itself; this bound only catches a lost worker.
    startToCloseTimeout: deadlineMs + 5_000,
    retry: { maximumAttempts: 1 },
  };
  const activities = supportsRetries ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
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
  /** The provider takes confirmations and reversals; when not, the switch consumes them. */
  supportsAdvices: boolean;
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
    if (!target.supportsAdvices) {
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

export function providerAdvice(target: AdviceTarget, advice: Pick<AdviceRecord, 'id' | 'reason'>) {
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
  const durably = (snapshot: TransactionReport) => recordTransaction(snapshot);
  const write = (snapshot: TransactionReport) =>
    (localFirst
      ? recordTransactionNow(snapshot).catch((failure) =>
          // A write the copy refuses for its data would be refused again: only an outage is worth the durable try.
          refusedByTheCopy(failure) ? Promise.reject(failure) : durably(snapshot),
        )
      : durably(snapshot)
    ).catch((failure: Error) => {
      // Never in the transaction's way: the refusal is noted in its state, and counted and logged by the activity.
      snapshot.lifecycle.reportingRefused = ((failure.cause as Error | undefined) ?? failure).message;
    });
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
