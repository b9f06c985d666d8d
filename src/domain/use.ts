import type { ChannelAnswer } from '../contract/answers';
import type { VoucherUseRequest } from '../contract/voucher-use';
import type { VoucherUseOrder, VoucherUseReceipt } from './provider-protocol';
import type { ProviderId } from './providers';
import { answerProviderFailure, approvedBody, type Institution, type ProviderResult } from './provision';
import type { VoucherRecord, VoucherUse } from './voucher';

/** Everything a redemption or refund workflow needs, fixed when the channel's request arrives. */
export interface UseInput {
  type: VoucherUse;
  transactionId: string;
  /** The switch's own id for this redemption or refund, sent to the provider as its idempotency key. */
  switchReference: string;
  channelId: string;
  messaging: 'single' | 'dual';
  /** The keyed hash of the voucher code the request names: the voucher's workflow is found by it. */
  voucherKey: string;
  /** Each provider's deadline: the voucher's provider is known once the voucher is claimed. */
  deadlinesMs: Record<ProviderId, number>;
  /** As for a provision: the single-messaging confirmation window or the dual-messaging deadline. */
  settleAfterMs: number;
  switchInstitution: Institution;
  request: VoucherUseRequest;
  receivedAt: string;
}

export function useOrder(input: UseInput, voucher: VoucherRecord): VoucherUseOrder {
  return {
    reference: input.switchReference,
    channelMessageId: input.request.id,
    voucherCode: input.request.voucher.code,
    provisionReference: voucher.provision.switchReference,
    // A refund names the redemption it gives back.
    ...(input.type === 'refund' && voucher.lastRedemption ? { redemptionReference: voucher.lastRedemption } : {}),
  };
}

/** The channel's answer for a redemption or refund outcome (contract §1.5, redeem and refund rows). */
export function answerUse(
  input: UseInput,
  voucher: VoucherRecord,
  result: ProviderResult<VoucherUseReceipt>,
): ChannelAnswer {
  const { request } = input;
  if (!result.ok) return answerProviderFailure(request.id, voucher.provider, result.failure);
  const receiver = request.receiver ?? voucher.receiver;
  return { status: 201, body: approvedBody(request, input, receiver, result.value.providerReference) };
}
