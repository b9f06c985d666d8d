import { randomUUID } from 'node:crypto';
import {
  type Client,
  isGrpcDeadlineError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { ChannelAnswer } from '../contract/answers';
import { type ErrorKind, SwitchError } from '../domain/errors';
import type { LastingState } from '../domain/lifecycle';
import {
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  isUnsettled,
  type Lifecycle,
  reversedBeforeItsRequest,
  type SubmissionMode,
  type TransactionOrigin,
  type TransactionType,
} from '../domain/lifecycle';
import type { VoucherRecord } from '../domain/voucher';
import type { Logger } from '../log';
import { within } from '../within';
import {
  type Abandonment,
  abandonTransaction,
  confirmTransaction,
  readTransaction,
  rejectedWithAnswer,
  reverseTransaction,
  stateRead,
  transactionSnapshot,
  voucherSnapshot,
} from '../workflows/messages';
import { type SearchFields, searchAttributePairs } from '../workflows/search-attributes';

/** The part of a transaction's input the gateway reads. */
export interface TransactionInput {
  transactionId: string;
  channelId: string;
  request: { id: string };
}

/** How the API reaches a transaction's workflow and gets the channel's answer. */
export interface TransactionGateway<I extends TransactionInput> {
  /** Starts the transaction (or joins it) with the request. */
  submit(input: I, mode: SubmissionMode): Promise<ChannelAnswer>;
  /** A retry for a transaction that must already exist; undefined when it does not. */
  retryExisting(input: I): Promise<ChannelAnswer | undefined>;
  /** Confirms; undefined when the switch never saw the transaction. */
  confirm(workflowId: string, advice: ChannelAdvice): Promise<ChannelAnswer | undefined>;
  /** Reverses; a reversal for an unseen request starts the transaction so it is remembered. */
  reverse(workflowId: string, advice: ChannelAdvice, channelId: string): Promise<ChannelAnswer>;
  /** The transaction's state; undefined when the switch never saw it. */
  snapshot(workflowId: string): Promise<Lifecycle | undefined>;
}

export interface TemporalGatewayOptions {
  client: Client;
  taskQueue: string;
  /** How long the channel waits for an outcome; past it, the channel gets an error and the transaction is reversed. */
  responseTimeoutMs: number;
  /** The id of the reversal the switch raises for a transaction whose outcome it could not pass on. */
  abandonmentId(transactionId: string): string;
  /** A transaction whose workflow's history is gone, from the reporting copy. */
  earlierRun(transactionId: string): Promise<LastingState | undefined>;
  /**
   * Whether the API looks for earlier runs before it starts a run with its request: only when
   * its reporting copy is the one the workers write (PostgreSQL, or a PGlite they share in
   * process); otherwise each workflow looks in its own worker's.
   */
  earlierRunsAtStart: boolean;
  logger: Pick<Logger, 'warn'>;
  /**
   * Start, then send the request as an update, asking the server for the first task eagerly:
   * only for a client that shares its connection with a worker of the task queue (API_WORKER).
   * Without it, one update-with-start. `eager` is told whether the server gave the task.
   */
  eagerStart?: { started(type: TransactionType, eager: boolean): void };
}

/** How often a message is sent to a workflow that was not there for it but has started since. */
const maxUpdateAttempts = 3;

function outcomeLate(id: string) {
  return new SwitchError('switchTimeout', 'The switch did not get the outcome in time; the transaction is reversed.', {
    id,
  });
}

/** How long the switch tries to record its reversal of a transaction it could not answer for. */
const abandonTimeoutMs = 5_000;

/** How long a request waits for the reporting copy's word on earlier runs of its id: as long as the workflow's own look-up. */
const earlierRunLookUpMs = 1_000;

/** Each transaction type's workflow. */
export const transactionWorkflows: Record<TransactionType, string> = {
  provision: 'provisionVoucher',
  redemption: 'redeemVoucher',
  refund: 'refundVoucher',
};

type Decide = (snapshot: Lifecycle) => ChannelAnswer;

/**
 * The search attributes a transaction's start knows, set with the start: an operator finds it
 * from its first moment (in flight at its provider, say), and its workflow upserts only what
 * changes. `described` tells what a request names (a provision's provider and product).
 */
function startSearchFields<I>(
  type: TransactionType,
  origin: TransactionOrigin,
  input: I | undefined,
  described?: (input: I) => SearchFields,
): SearchFields {
  return {
    transactionType: type,
    channel: origin.channelId,
    state: input === undefined ? 'AWAITING_REQUEST' : (origin.earlierRun?.phase ?? 'IN_FLIGHT'),
    ...(input !== undefined && described?.(input)),
  };
}

export function temporalTransactions<I extends TransactionInput>(
  type: TransactionType,
  submitUpdate: UpdateDefinition<ChannelAnswer, [I, SubmissionMode]>,
  {
    client,
    taskQueue,
    responseTimeoutMs,
    abandonmentId,
    earlierRun,
    earlierRunsAtStart,
    logger,
    eagerStart,
  }: TemporalGatewayOptions,
  described?: (input: I) => SearchFields,
): TransactionGateway<I> {
  /** Started by a reversal, the workflow has only its origin; started by its request, the request too. */
  const startOptions = (workflowId: string, origin: TransactionOrigin, input?: I) => ({
    workflowId,
    taskQueue,
    args: input === undefined ? [origin] : [origin, input],
    typedSearchAttributes: searchAttributePairs(startSearchFields(type, origin, input, described)),
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    // A finished transaction is never started again: a late duplicate must not be processed twice.
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
  });
  const startOperation = (workflowId: string, origin: TransactionOrigin, input?: I) =>
    new WithStartWorkflowOperation(transactionWorkflows[type], startOptions(workflowId, origin, input));

  /**
   * The request reaches the workflow in its start arguments either way (durable before any
   * provider is asked), and the answer comes back through the update. Started eagerly, the first
   * task runs on this process's worker without a trip through the server's matching; if this
   * process dies with it, the task times out and another worker takes it.
   */
  async function submitEagerly(
    input: I,
    origin: TransactionOrigin,
    mode: SubmissionMode,
    updateId: string,
    started: (eager: boolean) => void,
  ) {
    const handle = await client.workflow.start(transactionWorkflows[type], {
      ...startOptions(input.transactionId, origin, input),
      requestEagerStart: true,
    });
    started(handle.eagerlyStarted);
    return handle.executeUpdate(submitUpdate, { args: [input, mode], updateId });
  }

  /**
   * Runs an update and turns every way it can end into the channel's answer. A finished
   * workflow takes no updates: its final state answers, through the same rules. A workflow
   * that was not there for the update may have started since (its request arriving at the same
   * moment): one that can still be settled is sent the update again, for only the workflow may
   * decide on it; an answer decided from its state would not be applied.
   */
  async function answer(
    workflowId: string,
    id: string,
    call: () => Promise<ChannelAnswer>,
    decide: Decide,
    deadline = Date.now() + responseTimeoutMs,
  ): Promise<ChannelAnswer | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await client.withDeadline(deadline, call);
      } catch (error) {
        const refusal = refusalDetail<ChannelAnswer>(error, rejectedWithAnswer);
        if (refusal) return refusal;
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error)) {
          return decideFromTheCopy(workflowId, id, decide);
        }
        if (!(error instanceof WorkflowExecutionAlreadyStartedError || error instanceof WorkflowNotFoundError)) {
          throw error;
        }
        const state = await snapshot(workflowId, deadline).catch((failure: unknown) => {
          throw failure instanceof TemporalTooSlow ? outcomeLate(id) : failure;
        });
        if (state === undefined || !isUnsettled(state)) return state && decide(state);
        if (attempt === maxUpdateAttempts) throw outcomeLate(id);
      }
    }
  }

  /**
   * Temporal did not answer in time (a server restart, a worker being replaced). A transaction
   * whose reversal came before its request is settled for good, and the reporting copy has it:
   * a message for it is answered from there. Anything else is late.
   */
  async function decideFromTheCopy(workflowId: string, id: string, decide: Decide): Promise<ChannelAnswer> {
    const recorded = await earlierRun(workflowId).catch(() => undefined);
    if (recorded && reversedBeforeItsRequest(recorded)) return decide(recorded);
    throw outcomeLate(id);
  }

  /**
   * A submission whose outcome the channel will not get from this call (the switch timed out or
   * failed): before the channel is told so, the transaction is reversed on its behalf, so that
   * what the channel was told is what happens at the provider. The reversal starts the workflow
   * if the submission never reached it, and a late request is then refused.
   */
  async function submitOrAbandon(
    input: I,
    mode: SubmissionMode,
    call: (updateId: string) => Promise<ChannelAnswer>,
    deadline?: number,
  ): Promise<ChannelAnswer | undefined> {
    const { transactionId, request } = input;
    const updateId = randomUUID();
    try {
      return await answer(
        transactionId,
        request.id,
        () => call(updateId),
        (s) => answerRepeatedSubmission(type, s, request.id, mode),
        deadline,
      );
    } catch (error) {
      const failure =
        error instanceof SwitchError
          ? error
          : new SwitchError('switchFault', 'The switch could not process the request; the transaction is reversed.', {
              id: request.id,
            });
      const told = failure.toChannelAnswer();
      await abandon(transactionId, { channelId: input.channelId, messageId: request.id }, updateId, told, failure.kind);
      if (failure !== error)
        logger.warn({ err: error, transactionId }, 'submission failed; the transaction is reversed');
      throw failure;
    }
  }

  async function abandon(
    workflowId: string,
    origin: TransactionOrigin,
    submission: string,
    told: ChannelAnswer,
    why: ErrorKind,
  ) {
    const abandonment: Abandonment = {
      id: abandonmentId(workflowId),
      requestId: origin.messageId,
      reversalReason: why === 'switchTimeout' ? 'TIMEOUT' : 'RESPONSE_NOT_FINAL',
      submission,
      told,
    };
    try {
      await client.withDeadline(Date.now() + abandonTimeoutMs, () =>
        client.workflow.signalWithStart(transactionWorkflows[type], {
          workflowId,
          taskQueue,
          args: [origin],
          signal: abandonTransaction,
          signalArgs: [abandonment],
          // A finished transaction has its final outcome: nothing is left to reverse.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      logger.warn({ err: error, transactionId: workflowId }, 'the reversal of an unanswered submission failed');
    }
  }

  /**
   * The transaction's state: its workflow's, or once its history is gone, the reporting copy's.
   * A finished workflow's is its result, which the server has: no worker needs to answer for it,
   * so a refusal for a finished transaction does not wait for a worker that is being replaced.
   * A running workflow's is read by an update it refuses (`readTransaction`), never by a query.
   * Bounded like an answer: past the channel's timeout, the server's reads fail with a deadline.
   */
  async function snapshot(
    workflowId: string,
    deadline = Date.now() + responseTimeoutMs,
  ): Promise<Lifecycle | undefined> {
    const handle = client.workflow.getHandle<(...args: unknown[]) => Promise<Lifecycle>>(workflowId);
    const closedState = async () => {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return undefined;
      return status.name === 'COMPLETED' ? handle.result() : handle.query(transactionSnapshot);
    };
    const current = await readWithin(client, deadline, () =>
      queryOrUndefined(async () => (await closedState()) ?? (await runningState(handle, closedState))),
    );
    return current ?? (await earlierRun(workflowId));
  }

  /**
   * What the reporting copy knows of an earlier run of the id (null: nothing), for a run started
   * with its request: the workflow then need not look itself. Bounded like the workflow's own
   * look-up, and within the channel's deadline; past the bound, with the copy out of reach, or
   * when this process's copy is not the workers' (`earlierRunsAtStart` off), nothing is said and
   * the workflow looks.
   */
  async function earlierRunAtStart(transactionId: string, deadline: number): Promise<LastingState | null | undefined> {
    if (!earlierRunsAtStart) return undefined;
    const lookUp = earlierRun(transactionId).then(
      (found) => found ?? null,
      (error: unknown) => {
        logger.warn({ err: error, transactionId }, 'earlier runs could not be looked for; the workflow looks');
        return undefined;
      },
    );
    return within(Math.min(earlierRunLookUpMs, deadline - Date.now()), lookUp, undefined);
  }

  return {
    async submit(input, mode) {
      // The channel's wait starts now: the look-up comes out of it.
      const deadline = Date.now() + responseTimeoutMs;
      const origin: TransactionOrigin = {
        channelId: input.channelId,
        messageId: input.request.id,
        earlierRun: await earlierRunAtStart(input.transactionId, deadline),
      };
      return submitOrAbandon(
        input,
        mode,
        (updateId) =>
          eagerStart
            ? submitEagerly(input, origin, mode, updateId, (eager) => eagerStart.started(type, eager))
            : client.workflow.executeUpdateWithStart(submitUpdate, {
                args: [input, mode],
                updateId,
                startWorkflowOperation: startOperation(input.transactionId, origin, input),
              }),
        deadline,
      ) as Promise<ChannelAnswer>; // a started workflow always exists
    },
    retryExisting(input) {
      const handle = client.workflow.getHandle(input.transactionId);
      return submitOrAbandon(input, 'retry', (updateId) =>
        handle.executeUpdate(submitUpdate, { args: [input, 'retry'], updateId }),
      );
    },
    confirm(workflowId, advice) {
      const handle = client.workflow.getHandle(workflowId);
      return answer(
        workflowId,
        advice.id,
        () => handle.executeUpdate(confirmTransaction, { args: [advice] }),
        (s) => decideConfirm(type, s, advice).answer,
      );
    },
    async reverse(workflowId, advice, channelId) {
      const call = () =>
        client.workflow.executeUpdateWithStart(reverseTransaction, {
          args: [advice],
          startWorkflowOperation: startOperation(workflowId, { channelId, messageId: advice.requestId }),
        });
      const decided = await answer(workflowId, advice.id, call, (s) => decideReverse(type, s, advice).answer);
      return decided as ChannelAnswer;
    },
    snapshot,
  };
}

/**
 * A running transaction's state, from the refusal of `readTransaction`. A workflow that closed
 * meanwhile takes no update: its state is then the closed one's. A worker from before the read
 * update (a rolling upgrade) refuses it for want of a handler: it is queried.
 */
async function runningState(
  handle: WorkflowHandle,
  closedState: () => Promise<Lifecycle | undefined>,
): Promise<Lifecycle | undefined> {
  try {
    return await handle.executeUpdate(readTransaction);
  } catch (error) {
    return (
      refusalDetail<Lifecycle>(error, stateRead) ?? (await closedState()) ?? (await handle.query(transactionSnapshot))
    );
  }
}

/** What an update's validator refused it with, as an ApplicationFailure of `type`: its first detail. */
function refusalDetail<T>(error: unknown, type: string): T | undefined {
  if (!(error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)) return undefined;
  return error.cause.type === type ? (error.cause.details?.[0] as T) : undefined;
}

/** A query whose workflow may not exist. */
async function queryOrUndefined<T>(query: () => Promise<T>): Promise<T | undefined> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Where the API reads a voucher's record: its workflow, keyed by the keyed hash of its code. */
export interface VoucherDirectory {
  find(voucherWorkflowId: string): Promise<VoucherRecord | undefined>;
}

/** Vouchers from their workflows, each read bounded by the channel's response timeout. */
export function temporalVouchers(client: Client, responseTimeoutMs: number): VoucherDirectory {
  return {
    find: (workflowId) =>
      readWithin(client, Date.now() + responseTimeoutMs, () =>
        queryOrUndefined(() => client.workflow.getHandle(workflowId).query(voucherSnapshot)),
      ),
  };
}

/** Temporal did not answer a read within the channel's response timeout. */
export class TemporalTooSlow extends Error {}

/**
 * A read of Temporal bounded by `deadline`. Whatever ends it once the deadline has passed (the
 * client's deadline, or the server giving up on a query no worker answers first) is the same
 * for the channel: no answer in time.
 */
export async function readWithin<T>(client: Client, deadline: number, read: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(deadline, read);
  } catch (error) {
    if (isGrpcDeadlineError(error) || Date.now() >= deadline) {
      throw new TemporalTooSlow('Temporal did not answer in time', { cause: error });
    }
    throw error;
  }
}
