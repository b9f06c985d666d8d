import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { SwitchError } from '../domain/errors';
import { type ChannelAnswer, duplicateAnswer, type ProvisionInput } from '../domain/provision';
import { provisionSnapshot, submitProvision } from '../workflows/messages';
import type { provisionVoucher } from '../workflows/provision-voucher';

/** How the API hands a provision to its workflow and gets the channel's answer. */
export interface ProvisionGateway {
  submit(input: ProvisionInput): Promise<ChannelAnswer>;
}

export interface TemporalProvisionsOptions {
  client: Client;
  taskQueue: string;
  /** How long the channel waits for an outcome before it is told to retry. */
  responseTimeoutMs: number;
}

export function temporalProvisions({
  client,
  taskQueue,
  responseTimeoutMs,
}: TemporalProvisionsOptions): ProvisionGateway {
  return {
    async submit(input) {
      // One round trip: start the transaction's workflow (or join the running one) and wait for its answer.
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof provisionVoucher>('provisionVoucher', {
        workflowId: input.transactionId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A finished transaction is never started again: a late duplicate must not provision twice.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      try {
        return await client.withDeadline(Date.now() + responseTimeoutMs, () =>
          client.workflow.executeUpdateWithStart(submitProvision, { startWorkflowOperation }),
        );
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) {
          const snapshot = await client.workflow.getHandle(input.transactionId).query(provisionSnapshot);
          if (snapshot.answer) return duplicateAnswer(input.request.id, snapshot.answer);
        }
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new SwitchError('switchTimeout', 'The outcome is not known yet; retry with the same id.', {
            id: input.request.id,
          });
        }
        throw error;
      }
    },
  };
}
