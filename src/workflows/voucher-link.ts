import { getExternalWorkflowHandle, log, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { type UseOutcome, type VoucherRecord, voucherWorkflowId } from '../domain/voucher';
import { voucherEvent } from './messages';
import { voucherLifecycle } from './voucher-lifecycle';

/*
 * A transaction's messages to its voucher's workflow: the provision that starts it, and the
 * redemptions and refunds that tell it each step of theirs.
 */

/** Starts the voucher's workflow; false when a voucher with that code already has one. */
export async function startVoucherWorkflow(record: VoucherRecord): Promise<boolean> {
  try {
    await startChild(voucherLifecycle, {
      workflowId: voucherWorkflowId(record.key),
      args: [record],
      // The voucher outlives its provision.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return true;
  } catch (error) {
    // Only a voucher code issued twice gets here; the first voucher keeps the code.
    log.error('voucher workflow not started', { voucherKey: record.key, error: (error as Error).message });
    return false;
  }
}

/**
 * Tells the voucher's workflow that its provider has these advices, by every id it may hold
 * them under. A voucher whose workflow has finished needs telling nothing.
 */
export async function tellAdvicesSettled(voucherKey: string, adviceIds: Iterable<string>) {
  const voucher = getExternalWorkflowHandle(voucherWorkflowId(voucherKey));
  for (const adviceId of adviceIds) {
    await voucher.signal(voucherEvent, { type: 'adviceSettled', adviceId }).catch(() => undefined);
  }
}

/** Tells the voucher's workflow how a use of it went; a voucher whose workflow has finished needs telling nothing. */
export async function tellUseOutcome(voucherKey: string, outcome: UseOutcome) {
  await getExternalWorkflowHandle(voucherWorkflowId(voucherKey))
    .signal(voucherEvent, { type: 'outcome', outcome })
    .catch(() => undefined);
}
