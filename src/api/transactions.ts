import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { SwitchError } from '../domain/errors';
import {
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  type SubmissionMode,
  type TransactionOrigin,
  type TransactionType,
} from '../domain/lifecycle';
import type { ChannelAnswer } from '../domain/provision';
import type { VoucherRecord } from '../domain/voucher';
import {
  confirmTransaction,
  rejectedWithAnswer,
  reverseTransaction,
  transactionSnapshot,
  voucherSnapshot,
} from '../workflows/messages';

/** The part of a transaction's input the gateway reads. */
interface TransactionInput {
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
  /** How long the channel waits for an outcome before it is told to retry. */
  responseTimeoutMs: number;
}

/** Each transaction type's workflow. */
export const transactionWorkflows: Record<TransactionType, string> = {
  provision: 'provisionVoucher',
  redemption: 'redeemVoucher',
  refund: 'refundVoucher',
};

type Decide = (snapshot: Lifecycle) => ChannelAnswer;

export function temporalTransactions<I extends TransactionInput>(
  type: TransactionType,
  submitUpdate: UpdateDefinition<ChannelAnswer, [I, SubmissionMode]>,
  { client, taskQueue, responseTimeoutMs }: TemporalGatewayOptions,
): TransactionGateway<I> {
  /** Started by a reversal, the workflow has only its origin; started by its request, the request too. */
  const startOperation = (workflowId: string, origin: TransactionOrigin, input?: I) =>
    new WithStartWorkflowOperation(transactionWorkflows[type], {
      workflowId,
      taskQueue,
      args: input === undefined ? [origin] : [origin, input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A finished transaction is never started again: a late duplicate must not be processed twice.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });

  /**
   * Runs an update and turns every way it can end into the channel's answer. A finished
   * workflow takes no updates: its final state answers, through the same rules.
   */
  async function answer(
    workflowId: string,
    id: string,
    call: () => Promise<ChannelAnswer>,
    decide: Decide,
  ): Promise<ChannelAnswer | undefined> {
    try {
      return await client.withDeadline(Date.now() + responseTimeoutMs, call);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        if (error.cause.type === rejectedWithAnswer) return error.cause.details?.[0] as ChannelAnswer;
      }
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new SwitchError('switchTimeout', 'The outcome is not known yet; retry with the same id.', { id });
      }
      if (error instanceof WorkflowExecutionAlreadyStartedError || error instanceof WorkflowNotFoundError) {
        const state = await snapshot(workflowId);
        return state && decide(state);
      }
      throw error;
    }
  }

  async function snapshot(workflowId: string): Promise<Lifecycle | undefined> {
    return queryOrUndefined(() => client.workflow.getHandle(workflowId).query(transactionSnapshot));
  }

  return {
    async submit(input, mode) {
      const { transactionId, request } = input;
      const call = () =>
        client.workflow.executeUpdateWithStart(submitUpdate, {
          args: [input, mode],
          startWorkflowOperation: startOperation(
            transactionId,
            { channelId: input.channelId, messageId: request.id },
            input,
          ),
        });
      const decided = await answer(transactionId, request.id, call, (s) =>
        answerRepeatedSubmission(type, s, request.id, mode),
      );
      return decided as ChannelAnswer; // a started workflow always exists
    },
    retryExisting(input) {
      const { transactionId, request } = input;
      const handle = client.workflow.getHandle(transactionId);
      return answer(
        transactionId,
        request.id,
        () => handle.executeUpdate(submitUpdate, { args: [input, 'retry'] }),
        (s) => answerRepeatedSubmission(type, s, request.id, 'retry'),
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

export function temporalVouchers(client: Client): VoucherDirectory {
  return {
    find: (workflowId) => queryOrUndefined(() => client.workflow.getHandle(workflowId).query(voucherSnapshot)),
  };
}
