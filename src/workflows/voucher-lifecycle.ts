import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { providerProfiles } from '../domain/providers';
import {
  adviceSettled,
  applyUseOutcome,
  decideClaim,
  holdVoucher,
  isIdle,
  type VoucherRecord,
} from '../domain/voucher';
import { claimAnswered, voucherEvent, voucherSnapshot } from './messages';

/**
 * One confirmed voucher: the single place where its redemptions and refunds take turns. Claims
 * are decided one at a time in the order they arrive, so two redemptions of one voucher can never
 * both go ahead. Finishes at the voucher's expiry once nothing holds it.
 */
export async function voucherLifecycle(initial: VoucherRecord): Promise<VoucherRecord> {
  let voucher = initial;
  setHandler(voucherSnapshot, () => voucher);

  setHandler(voucherEvent, async (event) => {
    switch (event.type) {
      case 'claim': {
        const answer = decideClaim(voucher, event.claim, providerProfiles[voucher.provider]);
        if (answer.granted) voucher = holdVoucher(voucher, event.claim);
        const claimant = getExternalWorkflowHandle(event.claim.workflowId);
        // A claimant that is gone has nothing left to be told.
        await claimant.signal(claimAnswered, answer.granted ? { granted: true, voucher } : answer).catch(() => {});
        return;
      }
      case 'outcome':
        voucher = applyUseOutcome(voucher, event.outcome);
        return;
      case 'adviceSettled':
        voucher = adviceSettled(voucher, event.adviceId);
        return;
    }
  });

  const expiresAt = Date.parse(voucher.voucher.expiryDate ?? '');
  let expired = false;
  if (Number.isFinite(expiresAt)) {
    void sleep(Math.max(1, expiresAt - Date.now())).then(() => {
      expired = true;
    });
  }
  await condition(() => (expired && isIdle(voucher)) || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  if (!(expired && isIdle(voucher))) {
    // A long-lived voucher starts a fresh history and keeps its record.
    await continueAsNew<typeof voucherLifecycle>(voucher);
  }
  voucher = { ...voucher, state: 'EXPIRED' };
  return voucher;
}
