import type { UpdateDefinition } from '@temporalio/common';
import {
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChannelAnswer } from '../contract/answers';
import {
  type AdviceDecision,
  type AdviceKind,
  answerRepeatedSubmission,
  decideConfirm,
  decideReverse,
  type LastingState,
  type Lifecycle,
  type SubmissionMode,
  settle,
  type TransactionType,
} from '../domain/lifecycle';
import {
  type Abandonment,
  abandonTransaction,
  confirmTransaction,
  type ReversalAdvice,
  readTransaction,
  rejectedWithAnswer,
  reverseTransaction,
  stateRead,
  transactionSnapshot,
} from './messages';

/*
 * Receiving a transaction's channel messages: the request (and its duplicates and retries), the
 * confirmations and reversals, and the switch's own settlement when nobody settled in time.
 * Every decision is the domain's (`src/domain/lifecycle.ts`); this is when and in what order.
 */

/** Bounded like the local reporting write: a slow or absent reporting copy holds no transaction up. */
const { findEarlierRun: findEarlierRunNow } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 second',
  retry: { maximumAttempts: 1 },
});

/**
 * The same look-up as a regular activity, for a reversal deciding from an update handler. As
 * tightly bounded, queueing included: a request arriving meanwhile waits for the decision, and
 * the channel for the request.
 */
const { findEarlierRun: findEarlierRunDurably } = proxyActivities<Activities>({
  startToCloseTimeout: '1 second',
  scheduleToCloseTimeout: '2 seconds',
  retry: { maximumAttempts: 1 },
});

/** The patch under which a transaction first looks for an earlier run of its workflow id in the reporting copy. */
const earlierRunCheck = 'earlier-run-check';
/**
 * The patch under which a request's answer takes one activity in its workflow task: a
 * transaction started with its request takes the API's look-up for earlier runs from its start,
 * and a provision's first reporting row is written by the activity that asks the provider.
 */
export const answerInOneActivity = 'answer-in-one-activity';
/** The patches under which messages that arrive together are taken one after another. */
const requestWaitsForAdvice = 'request-waits-for-advice';
const earlierRunForAdviceDurably = 'earlier-run-for-advice-durably';
/**
 * The patch under which an advice taken by a run that answers for an earlier one is answered
 * at once: the earlier run put it in effect. Before it, such a run (an operator's reset to the
 * first task, which takes the channel's messages again) waited for ever, and so did its end.
 */
const earlierRunsAdvicesInEffect = 'earlier-runs-advices-in-effect';

/**
 * The patch under which a first workflow task that follows a failed attempt looks for an
 * earlier run itself (see `looksForItself`).
 */
const retriedFirstTaskLooks = 'retried-first-task-looks';

/**
 * The history length at a first workflow task that no failed attempt preceded: its start, the
 * task scheduled, the task started.
 */
const firstTaskHistoryLength = 3;

/** Rejects an update with the channel's answer: a rejected update leaves no trace in history. */
function reject(answer: ChannelAnswer): never {
  throw ApplicationFailure.create({ type: rejectedWithAnswer, nonRetryable: true, details: [answer] });
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
    /** What the API found of an earlier run when it started this one with the request (`TransactionOrigin.earlierRun`). */
    earlierRunAtStart?: LastingState | null;
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
    earlierRunAtStart,
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
  const adoptEarlierRun = earlierRunOnce(state, earlierRunAtStart);

  setHandler(transactionSnapshot, () => state);
  // Never accepted: the refusal carries the state, and writes nothing.
  setHandler(readTransaction, () => state, {
    validator: () => {
      throw ApplicationFailure.create({ type: stateRead, nonRetryable: true, details: [state] });
    },
  });

  setHandler(
    submit,
    async (given, mode) => {
      const updateId = currentUpdateInfo()?.id;
      // A request that arrives while an advice is being decided waits for the decision: a reversal
      // of a transaction with no request yet must not find the request half-received under it.
      if (lock.held && patched(requestWaitsForAdvice)) await condition(() => !lock.held);
      if (input === undefined && state.earlyReversalId === undefined && !state.earlierRun) {
        input = given;
        state.phase = 'IN_FLIGHT';
      }
      // The first submission of the request the workflow started with is the one that started it.
      if (original === undefined && input !== undefined && (given === input || mode === 'request')) original = given;
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
      if (input === undefined && state.phase === 'AWAITING_REQUEST') {
        // Durably: a local activity run from an update handler while other updates arrive does not replay.
        await adoptEarlierRun(patched(earlierRunForAdviceDurably) ? findEarlierRunDurably : findEarlierRunNow);
      }
      decision = decide(type, state, advice);
      if (decision.accept && decision.settle) {
        const refusal = kind === 'reverse' ? await beforeReversal?.(advice) : undefined;
        if (refusal) return refusal;
        settle(
          state,
          { kind, id: advice.id, origin: abandonment ? 'switch' : 'channel', reason: advice.reversalReason },
          new Date(),
        );
      }
      if (!decision.accept && decision.remember) state.earlyReversalId = advice.id;
      if (abandonment && decision.accept) state.channelError = abandonment.told;
    } finally {
      lock.held = false;
    }
    if (decision.accept && !(state.earlierRun && patched(earlierRunsAdvicesInEffect))) await condition(adviceInEffect);
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
 * one takes its state over. What the API found when it started the run answers without asking
 * again. The reporting copy being out of reach is no reason to hold up a transaction: it is then
 * taken as new.
 */
function earlierRunOnce(
  state: Lifecycle,
  atStart: LastingState | null | undefined,
): (lookUp?: typeof findEarlierRunNow) => Promise<boolean> {
  let found: Promise<boolean> | undefined;
  return (lookUp = findEarlierRunNow) => {
    found ??= (async () => {
      const fromStart = atStart !== undefined && !looksForItself() && patched(answerInOneActivity);
      const earlier = fromStart ? (atStart ?? undefined) : await lookFor(lookUp);
      if (!earlier) return false;
      Object.assign(state, earlier, { earlierRun: true });
      return true;
    })();
    return found;
  };
}

/**
 * Whether a transaction started with its request looks for an earlier run itself rather than
 * take what the API found at its start. Asked in the first workflow task. A first task at a
 * longer history than its own follows a failed attempt: an operator's reset to the first task
 * (the new run's start predates the run it replaces, which may have answered already) or a lost
 * worker; it looks. A run reset to a later task replays its first task as recorded, at the
 * history length it had then. Without the patch, runs reset to their first task looked; nothing
 * else did.
 */
function looksForItself(): boolean {
  const { runId, firstExecutionRunId, historyLength } = workflowInfo();
  return historyLength > firstTaskHistoryLength && (patched(retriedFirstTaskLooks) || runId !== firstExecutionRunId);
}

/** Looks in the reporting copy for an earlier run of this workflow id. */
async function lookFor(lookUp: typeof findEarlierRunNow): Promise<LastingState | undefined> {
  // A workflow under the later patch looks too, without a marker of this one's.
  if (!(patched(answerInOneActivity) || patched(earlierRunCheck))) return undefined;
  const { workflowId, runId } = workflowInfo();
  return lookUp({ transactionId: workflowId, runId }).catch((error: Error) => {
    log.warn('earlier runs could not be looked for', { error: error.message });
    return undefined;
  });
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
  const kind = messaging === 'single' ? 'confirm' : 'reverse';
  settle(state, { kind, id: adviceId(), origin: 'switch', reason: 'TIMEOUT' }, new Date());
}
