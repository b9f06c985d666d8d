import { type AdviceRecord, adviceOperations, type TransactionType } from './lifecycle';
import type { ProviderAdvice } from './provider-protocol';
import type { ProviderId } from './providers';
import type { PendingAdvice } from './voucher';

/** Where a transaction's advices go: its provider, and the request they settle. */
export interface AdviceTarget {
  type: TransactionType;
  provider: ProviderId;
  /** The provider takes confirmations and reversals; when not, the switch consumes them. */
  supportsAdvices: boolean;
  deadlineMs: number;
  /** The switch reference the provider knows the request by. */
  requestReference: string;
  channelMessageId: string;
}

/** The advice as the provider is sent it. */
export function providerAdvice(target: AdviceTarget, advice: Pick<AdviceRecord, 'id' | 'reason'>): ProviderAdvice {
  return {
    id: advice.id,
    requestId: target.requestReference,
    channelMessageId: target.channelMessageId,
    reason: advice.reason,
  };
}

/**
 * The advice as the voucher keeps it until the provider has it, so the voucher's next use
 * delivers it first; none for a provider that takes no advices.
 */
export function pendingAdvice(
  target: AdviceTarget,
  advice: Pick<AdviceRecord, 'kind' | 'id' | 'reason'> | undefined,
): PendingAdvice | undefined {
  if (!advice || !target.supportsAdvices) return undefined;
  return { operation: adviceOperations[target.type][advice.kind], ...providerAdvice(target, advice) };
}
