import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { capabilitiesOf, providerProfiles } from '../domain/providers';
import {
  adviceSettled,
  applyUseOutcome,
  blockVoucher,
  type ClaimAnswer,
  decideClaim,
  decideWithdrawal,
  holdVoucher,
  isIdle,
  type VoucherRecord,
} from '../domain/voucher';
import { claimAnswered, setVoucherBlocking, voucherEvent, voucherSnapshot } from './messages';

/** The patch under which a claim checks the voucher's expiry date itself, not only its workflow's end. */
const claimsCheckExpiry = 'claims-check-expiry';

/**
 * One confirmed voucher (or, under single messaging, one the channel was given): the single
 * place where its redemptions and refunds take turns. Claims are decided one at a time in the
 * order they arrive, so two redemptions of one voucher can never both go ahead. Finishes at the
 * voucher's expiry once nothing holds it, or when its provision is reversed before any use.
 */
export async function voucherLifecycle(initial: VoucherRecord): Promise<VoucherRecord> {
  let voucher = initial;
  setHandler(voucherSnapshot, () => voucher);
  setHandler(setVoucherBlocking, (blocking) => {
    voucher = blockVoucher(voucher, blocking);
    return voucher;
  });
  const profile = providerProfiles[voucher.provider];
  const capabilities = { ...(voucher.capabilities ?? capabilitiesOf(profile)), name: profile.name };

  /** Answers the workflow that asked; one that is gone has nothing left to be told. */
  const answer = (workflowId: string, claimAnswer: ClaimAnswer) =>
    getExternalWorkflowHandle(workflowId)
      .signal(claimAnswered, claimAnswer)
      .catch(() => {});

  setHandler(voucherEvent, async (event) => {
    switch (event.type) {
      case 'claim': {
        const now = patched(claimsCheckExpiry) ? Date.now() : undefined;
        const decided = decideClaim(voucher, event.claim, capabilities, now);
        if (decided.granted) voucher = holdVoucher(voucher, event.claim);
        await answer(event.claim.workflowId, decided.granted ? { granted: true, voucher } : decided);
        return;
      }
      case 'withdraw': {
        const decided = decideWithdrawal(voucher);
        if (decided.granted) voucher = decided.voucher;
        await answer(event.workflowId, decided);
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
  const ended = () => voucher.state === 'REVERSED' || (expired && isIdle(voucher));
  await condition(() => ended() || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  if (!ended()) {
    // A long-lived voucher starts a fresh history and keeps its record.
    await continueAsNew<typeof voucherLifecycle>(voucher);
  }
  if (voucher.state !== 'REVERSED') voucher = { ...voucher, state: 'EXPIRED' };
  return voucher;
}
