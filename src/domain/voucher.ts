import type { ErrorAnswer, LookupAnswer, ProvisionAnswer } from '../contract/answers';
import { type ErrorKind, errorAnswer } from './errors';
import type { AdviceOperation } from './provider-protocol';
import type { ProviderCapabilities, ProviderId } from './providers';
import type { Institution, ProvisionInput } from './provision';

/**
 * A voucher's life after its provision is confirmed (contract §1.5): redeemable → redeemed →
 * redemption confirmed → refunded → refund confirmed = redeemable again. One voucher workflow
 * keeps this record and takes claims one at a time, so two redemptions of one voucher can never
 * both go ahead.
 */
export type VoucherState =
  | 'REDEEMABLE'
  /** A redemption holds the voucher: at the provider, or awaiting its confirmation. */
  | 'REDEEMED'
  | 'REDEMPTION_CONFIRMED'
  /** A refund holds the voucher: at the provider, or awaiting its confirmation. */
  | 'REFUNDED'
  /** Past its expiry date: the voucher workflow has finished. */
  | 'EXPIRED'
  /** Its provision was reversed before any use (single messaging): the voucher workflow has finished. */
  | 'REVERSED';

export type VoucherUse = 'redemption' | 'refund';

/** An advice the switch accepted for this voucher that the provider may not have yet. */
export interface PendingAdvice {
  operation: AdviceOperation;
  id: string;
  /** The switch reference of the request it settles. */
  requestId: string;
  channelMessageId: string;
  reason?: string;
}

export interface VoucherRecord {
  /** The keyed hash of the voucher code: the voucher's identity without its secret. */
  key: string;
  provider: ProviderId;
  voucherProvider?: string;
  voucher: { code: string; serialNumber?: string; expiryDate?: string; [field: string]: unknown };
  product?: { productId?: string; barcode?: string };
  amounts?: Record<string, unknown>;
  receiver: Institution;
  settlementEntity: Institution;
  thirdPartyIdentifiers: { institutionId: string; transactionIdentifier: string }[];
  rrn?: string;
  posInfo?: Record<string, unknown>;
  /** The provision that issued the voucher: its channel, message id and switch reference. */
  provision: { channelId: string; requestId: string; switchReference: string };
  state: VoucherState;
  /** The redemption or refund that holds the voucher now, and its channel. */
  holder?: { use: VoucherUse; reference: string; channelId?: string };
  /** The switch reference of the redemption a refund gives back. */
  lastRedemption?: string;
  /** The channel that made that redemption: the only one that may refund it (absent in records from before). */
  redeemedBy?: string;
  /** Delivered to the provider by the next use before its own request, so none is refused for them. */
  pendingAdvices: PendingAdvice[];
  /** Its provider's capabilities as its provision had them; absent in records from before they were kept. */
  capabilities?: ProviderCapabilities;
  /**
   * Its provision may still be reversed, taking the voucher back: a single-messaging provision
   * makes the voucher usable at once, while the channel may still reverse it. Any use ends that.
   */
  withdrawable?: boolean;
  /** Blocked by a back-office operator (lost or stolen): no redemption or refund may take it. */
  blocked?: VoucherBlock;
}

/** Why and by whom a voucher was blocked. */
export interface VoucherBlock {
  reason: string;
  by: string;
  at: string;
}

/** An operator's block or unblock of a voucher, as its workflow takes it. */
export interface VoucherBlocking {
  blocked: boolean;
  reason: string;
  by: string;
  at: string;
}

/** The voucher blocked, or unblocked: a use already holding it goes on either way. */
export function blockVoucher(voucher: VoucherRecord, { blocked, reason, by, at }: VoucherBlocking): VoucherRecord {
  const { blocked: _earlier, ...rest } = voucher;
  return blocked ? { ...rest, blocked: { reason, by, at } } : rest;
}

export interface Claim {
  use: VoucherUse;
  /** The switch reference of the redemption or refund. */
  reference: string;
  /** Where the answer goes. */
  workflowId: string;
  /** The channel that sent it (absent in claims from before it was named). */
  channelId?: string;
}

export type ClaimAnswer =
  | { granted: true; voucher: VoucherRecord }
  | { granted: false; kind: ErrorKind; message: string };

const refuse = (kind: ErrorKind, message: string): ClaimAnswer => ({ granted: false, kind, message });

/** Whether the voucher is past its expiry date at `now` (milliseconds since the epoch). */
export function isExpired(voucher: VoucherRecord, now: number): boolean {
  const expiresAt = Date.parse(voucher.voucher.expiryDate ?? '');
  return Number.isFinite(expiresAt) && now >= expiresAt;
}

/**
 * Contract §1.5, redeem and refund rows: may this use take the voucher now? A voucher past its
 * expiry date is not redeemable, even before its workflow has finished (`now` given).
 */
export function decideClaim(
  voucher: VoucherRecord,
  claim: Claim,
  capabilities: ProviderCapabilities & { name: string },
  now?: number,
): ClaimAnswer {
  if (voucher.holder?.reference === claim.reference) return { granted: true, voucher };
  if (!capabilities.supportsRedemption) {
    return refuse('redemptionNotSupported', `${capabilities.name} does not support redemptions.`);
  }
  if (voucher.blocked) return refuse('voucherBlocked', 'The voucher is blocked.');
  if (claim.use === 'redemption') {
    switch (voucher.state) {
      case 'REDEEMABLE':
        if (now !== undefined && isExpired(voucher, now))
          return refuse('voucherNotRedeemable', 'The voucher has expired.');
        return { granted: true, voucher };
      case 'EXPIRED':
        return refuse('voucherNotRedeemable', 'The voucher has expired.');
      case 'REVERSED':
        return refuse('voucherNotRedeemable', 'The voucher was reversed.');
      default:
        return refuse('voucherAlreadyRedeemed', 'The voucher was already redeemed.');
    }
  }
  switch (voucher.state) {
    case 'REDEMPTION_CONFIRMED':
      // A refund gives a redemption's money back: only to the channel that took it.
      if (voucher.redeemedBy !== undefined && claim.channelId !== undefined && claim.channelId !== voucher.redeemedBy) {
        return refuse('voucherNotRedeemed', 'The voucher was not redeemed by this channel.');
      }
      return { granted: true, voucher };
    case 'REDEEMED':
      return refuse('redemptionNotConfirmed', 'The redemption is not confirmed yet.');
    case 'REFUNDED':
      return refuse('voucherAlreadyRefunded', 'A refund of this voucher is already pending.');
    default:
      return refuse('voucherNotRedeemed', 'The voucher is not redeemed.');
  }
}

/**
 * A reversal of the voucher's provision while the voucher is usable (single messaging): granted
 * while no use has taken it, and the voucher is reversed with it; refused once it was used,
 * because the provider then has the provision confirmed.
 */
export function decideWithdrawal(voucher: VoucherRecord): ClaimAnswer {
  if (voucher.withdrawable && voucher.state === 'REDEEMABLE' && voucher.holder === undefined) {
    return { granted: true, voucher: { ...voucher, state: 'REVERSED', withdrawable: false, pendingAdvices: [] } };
  }
  return refuse('voucherAlreadyConfirmed', 'The voucher was used; its provision is confirmed.');
}

/** The claim for a voucher the switch does not know (never issued, unconfirmed or reversed, or long expired). */
export function unknownVoucher(use: VoucherUse): ClaimAnswer {
  return use === 'redemption'
    ? refuse('voucherNotRedeemable', 'The voucher is not redeemable.')
    : refuse('voucherNotRedeemed', 'The voucher is not redeemed.');
}

/** The voucher taken by a granted claim; once used, its provision can no longer take it back. */
export function holdVoucher(voucher: VoucherRecord, claim: Claim): VoucherRecord {
  const { withdrawable: _used, ...held } = voucher;
  return {
    ...held,
    state: claim.use === 'redemption' ? 'REDEEMED' : 'REFUNDED',
    holder: { use: claim.use, reference: claim.reference, ...(claim.channelId ? { channelId: claim.channelId } : {}) },
  };
}

/** How a use that holds the voucher ended, as it tells the voucher workflow. */
export interface UseOutcome {
  use: VoucherUse;
  reference: string;
  outcome: 'approved' | 'failed' | 'confirmed' | 'reversed';
  /** The advice the provider must still get for this outcome (a confirmation or reversal). */
  advice?: PendingAdvice;
  /** Pending advices this use delivered to the provider before its own request. */
  delivered: string[];
}

/** The state each outcome leaves, by use: a failed or reversed use gives the voucher back. */
const afterOutcome: Record<VoucherUse, Record<UseOutcome['outcome'], VoucherState>> = {
  redemption: { approved: 'REDEEMED', failed: 'REDEEMABLE', confirmed: 'REDEMPTION_CONFIRMED', reversed: 'REDEEMABLE' },
  refund: {
    approved: 'REFUNDED',
    failed: 'REDEMPTION_CONFIRMED',
    confirmed: 'REDEEMABLE',
    reversed: 'REDEMPTION_CONFIRMED',
  },
};

/** The voucher after a use's outcome; an outcome from a use that does not hold it changes nothing. */
export function applyUseOutcome(voucher: VoucherRecord, event: UseOutcome): VoucherRecord {
  const pendingAdvices = [
    ...voucher.pendingAdvices.filter((advice) => !event.delivered.includes(advice.id)),
    ...(event.advice ? [event.advice] : []),
  ];
  if (voucher.holder?.reference !== event.reference) return { ...voucher, pendingAdvices };
  const state = afterOutcome[event.use][event.outcome];
  const stillHeld = event.outcome === 'approved';
  const redeemed = event.use === 'redemption' && event.outcome === 'confirmed';
  const { redeemedBy, ...rest } = voucher;
  // Redeemed: its channel may refund it. Refunded and confirmed: redeemable again, by anyone.
  const by = redeemed ? voucher.holder?.channelId : state === 'REDEEMABLE' ? undefined : redeemedBy;
  return {
    ...rest,
    state,
    holder: stillHeld ? voucher.holder : undefined,
    lastRedemption: redeemed ? event.reference : voucher.lastRedemption,
    ...(by === undefined ? {} : { redeemedBy: by }),
    pendingAdvices,
  };
}

/** The voucher once an advice reached the provider by store-and-forward. */
export function adviceSettled(voucher: VoucherRecord, adviceId: string): VoucherRecord {
  return { ...voucher, pendingAdvices: voucher.pendingAdvices.filter((advice) => advice.id !== adviceId) };
}

/** The voucher workflow may finish at expiry only when no use holds it and the provider has every advice. */
export function isIdle(voucher: VoucherRecord): boolean {
  return voucher.holder === undefined && voucher.pendingAdvices.length === 0;
}

/** Where a voucher is in its life, as lookupVoucher tells it; before its confirmation it has no workflow. */
export type VoucherLookupState = VoucherState | 'PROVISIONED' | 'REVERSED';

/** What lookupVoucher tells about a voucher: its provision's details. */
export type VoucherDetails = Pick<
  VoucherRecord,
  'voucher' | 'product' | 'amounts' | 'receiver' | 'settlementEntity' | 'thirdPartyIdentifiers' | 'rrn' | 'posInfo'
>;

/**
 * What any holder of the code may see: the voucher, its product, amounts and parties, but not
 * the provisioning channel's own identifiers (its third-party identifiers, RRN and POS data).
 */
export function holderView({ voucher, product, amounts, receiver, settlementEntity }: VoucherDetails): VoucherDetails {
  return { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers: [] };
}

/** lookupVoucher's answer (contract §1.2 VoucherLookupResponse, with our `state`). */
export function voucherLookupAnswer(details: VoucherDetails, state: VoucherLookupState): LookupAnswer {
  const { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo } = details;
  return {
    status: 200,
    body: { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo, state },
  };
}

/** The answer for a claim that was refused; `originalId` names the request an advice refers to. */
export function refusedClaimAnswer(
  answer: ClaimAnswer & { granted: false },
  requestId: string,
  originalId?: string,
): ErrorAnswer {
  return errorAnswer(answer.kind, answer.message, { id: requestId, originalId });
}

export function voucherWorkflowId(voucherKey: string): string {
  return `voucher-${voucherKey}`;
}

/**
 * The voucher as its workflow keeps it: the details the channel was answered with, and the
 * advice its provider must have before anything else is asked of it.
 */
export function voucherRecordOf(
  input: ProvisionInput,
  answer: ProvisionAnswer,
  key: string,
  pending: PendingAdvice | undefined,
  capabilities: ProviderCapabilities,
): VoucherRecord {
  const { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo } = answer.body;
  return {
    key,
    provider: input.provider,
    voucherProvider: input.voucherProvider,
    voucher: { ...voucher, code: voucher.code ?? '' },
    product,
    amounts,
    receiver: receiver ?? input.providerInstitution,
    settlementEntity,
    thirdPartyIdentifiers,
    rrn,
    posInfo,
    provision: { channelId: input.channelId, requestId: input.request.id, switchReference: input.switchReference },
    state: 'REDEEMABLE',
    pendingAdvices: pending ? [pending] : [],
    // Absent for inputs from before capabilities travelled with the transaction, as the record was then.
    ...(input.capabilities ? { capabilities } : {}),
  };
}
