import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { SwitchError } from '../domain/errors';
import {
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  type SubmissionMode,
} from '../domain/lifecycle';
import type { ChannelAnswer, ProvisionInput } from '../domain/provision';
import {
  confirmProvision,
  type ProvisionSnapshot,
  provisionSnapshot,
  rejectedWithAnswer,
  reverseProvision,
  submitProvision,
} from '../workflows/messages';
import type { provisionVoucher } from '../workflows/provision-voucher';

/** How the API reaches a transaction's workflow and gets the channel's answer. */
export interface ProvisionGateway {
  /** Starts the transaction (or joins it) with the request. */
  submit(input: ProvisionInput, mode: SubmissionMode): Promise<ChannelAnswer>;
  /** A retry for a transaction that must already exist; undefined when it does not. */
  retryExisting(input: ProvisionInput): Promise<ChannelAnswer | undefined>;
  /** Confirms; undefined when the switch never saw the transaction. */
  confirm(workflowId: string, advice: ChannelAdvice): Promise<ChannelAnswer | undefined>;
  /** Reverses; a reversal for an unseen request starts the transaction so it is remembered. */
  reverse(workflowId: string, advice: ChannelAdvice): Promise<ChannelAnswer>;
}

export interface TemporalProvisionsOptions {
  client: Client;
  taskQueue: string;
  /** How long the channel waits for an outcome before it is told to retry. */
  responseTimeoutMs: number;
}

type Decide = (snapshot: ProvisionSnapshot) => ChannelAnswer;

export function temporalProvisions({
  client,
  taskQueue,
  responseTimeoutMs,
}: TemporalProvisionsOptions): ProvisionGateway {
  const startOperation = (workflowId: string) =>
    new WithStartWorkflowOperation<typeof provisionVoucher>('provisionVoucher', {
      workflowId,
      taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A finished transaction is never started again: a late duplicate must not provision twice.
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
        const snapshot = await finalState(workflowId);
        return snapshot && decide(snapshot);
      }
      throw error;
    }
  }

  async function finalState(workflowId: string): Promise<ProvisionSnapshot | undefined> {
    try {
      return await client.workflow.getHandle(workflowId).query(provisionSnapshot);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  return {
    async submit(input, mode) {
      const { transactionId, request } = input;
      const call = () =>
        client.workflow.executeUpdateWithStart(submitProvision, {
          args: [input, mode],
          startWorkflowOperation: startOperation(transactionId),
        });
      const decided = await answer(transactionId, request.id, call, (s) =>
        answerRepeatedSubmission(s, request.id, mode),
      );
      return decided as ChannelAnswer; // a started workflow always exists
    },
    retryExisting(input) {
      const { transactionId, request } = input;
      const handle = client.workflow.getHandle(transactionId);
      return answer(
        transactionId,
        request.id,
        () => handle.executeUpdate(submitProvision, { args: [input, 'retry'] }),
        (s) => answerRepeatedSubmission(s, request.id, 'retry'),
      );
    },
    confirm(workflowId, advice) {
      const handle = client.workflow.getHandle(workflowId);
      return answer(
        workflowId,
        advice.id,
        () => handle.executeUpdate(confirmProvision, { args: [advice] }),
        (s) => decideConfirm(s, advice).answer,
      );
    },
    async reverse(workflowId, advice) {
      const call = () =>
        client.workflow.executeUpdateWithStart(reverseProvision, {
          args: [advice],
          startWorkflowOperation: startOperation(workflowId),
        });
      return (await answer(workflowId, advice.id, call, (s) => decideReverse(s, advice).answer)) as ChannelAnswer;
    },
  };
}
