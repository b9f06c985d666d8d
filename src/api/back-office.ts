import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type VoucherBlocking, type VoucherRecord, voucherWorkflowId } from '../domain/voucher';
import { type AdviceRedelivery, setVoucherBlocking } from '../workflows/messages';
import { readWithin, TemporalTooSlow } from './transactions';

/** What the back office asks of Temporal beyond the channels' own messages. */
export interface BackOffice {
  /** Operator actions that move money wait for a second operator's approval. */
  fourEyesApproval: boolean;
  /** The voucher's record blocked or unblocked; undefined when no workflow holds the voucher any more. */
  setVoucherBlocking(voucherKey: string, blocking: VoucherBlocking): Promise<VoucherRecord | undefined>;
  /** Starts the redelivery; its outcome if the provider answered within the response timeout. */
  redeliverAdvice(redelivery: AdviceRedelivery): Promise<{ saf: string } | undefined>;
}

export function temporalBackOffice(
  client: Client,
  { taskQueue, responseTimeoutMs }: { taskQueue: string; responseTimeoutMs: number },
): Omit<BackOffice, 'fourEyesApproval'> {
  return {
    async setVoucherBlocking(voucherKey, blocking) {
      try {
        return await readWithin(client, Date.now() + responseTimeoutMs, () =>
          client.workflow
            .getHandle(voucherWorkflowId(voucherKey))
            .executeUpdate(setVoucherBlocking, { args: [blocking] }),
        );
      } catch (error) {
        if (error instanceof WorkflowNotFoundError || error instanceof WorkflowUpdateFailedError) return undefined;
        throw error;
      }
    },
    async redeliverAdvice(redelivery) {
      const handle = await client.workflow.start('redeliverAdvice', {
        workflowId: `advice-redelivery-${redelivery.actionId}`,
        taskQueue,
        args: [redelivery],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      try {
        return await readWithin(client, Date.now() + responseTimeoutMs, () => handle.result());
      } catch (error) {
        if (error instanceof TemporalTooSlow) return undefined;
        throw error;
      }
    },
  };
}
