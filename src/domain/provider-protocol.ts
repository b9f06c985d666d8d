import type { ProviderId, ProviderProfile } from './providers';

/** What every provider adapter offers the switch. */
export interface VoucherProvider {
  readonly profile: ProviderProfile;
  /** Provisions a voucher. `reference` is the switch's stable id: asking twice provisions once. */
  provision(order: ProvisionOrder, options: CallOptions): Promise<ProviderExchange<ProvisionedVoucher>>;
  /** Redeems a voucher the provider issued. `reference` is the switch's stable id: asking twice redeems once. */
  redeem(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>>;
  /** Refunds the voucher's confirmed redemption, making it redeemable again once confirmed. */
  refund(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>>;
  /**
   * Confirms or reverses a provision, redemption or refund. Every advice carries its own stable
   * id: sending it twice settles once.
   */
  advise(operation: AdviceOperation, advice: ProviderAdvice, options: CallOptions): Promise<ProviderExchange<unknown>>;
  /** The provider's product catalogue. */
  products(options: CallOptions): Promise<ProviderExchange<CatalogueProduct[]>>;
}

/** The advices a provider takes, named as in the simulator's ledger (contract §2). */
export const adviceOperations = [
  'confirm',
  'reverse',
  'confirmRedeem',
  'reverseRedeem',
  'confirmRefund',
  'reverseRefund',
] as const;
export type AdviceOperation = (typeof adviceOperations)[number];

export interface CallOptions {
  /** The provider's deadline; past it the call ends as a timeout. */
  deadlineMs: number;
  /** The switch's transaction the call is made for, named on the call's span; never sent to the provider. */
  transactionId?: string;
}

export interface ProvisionOrder {
  reference: string;
  channelMessageId: string;
  productId?: string;
  voucherProvider?: string;
  amount?: { amount: number; currency: string };
}

/** A redemption or refund of a voucher, as the provider receives it. */
export interface VoucherUseOrder {
  /** The switch's stable id for this redemption or refund. */
  reference: string;
  channelMessageId: string;
  voucherCode: string;
  /** The switch's reference of the provision that issued the voucher. */
  provisionReference: string;
  /** A refund: the switch's reference of the redemption it gives back. */
  redemptionReference?: string;
}

export interface VoucherUseReceipt {
  providerReference: string;
}

/** A confirmation or reversal as the provider receives it. */
export interface ProviderAdvice {
  id: string;
  /** The switch's reference of the request it settles (what the provider knows it by). */
  requestId: string;
  channelMessageId: string;
  reason?: string;
}

export interface ProvisionedVoucher {
  providerReference: string;
  voucher: {
    code: string;
    serialNumber?: string;
    expiryDate?: string;
    redeemInstructions?: string[];
  };
}

export interface CatalogueProduct {
  productId: string;
  barcode?: string;
  name: string;
  description?: string;
  isFixedValue: boolean;
  amount?: { amount: number; currency: string };
  minAmount?: { amount: number; currency: string };
  maxAmount?: { amount: number; currency: string };
  voucherProvider: string;
}

/**
 * How a provider call ended, classified once: `declined` is a definite answer;
 * `timeout`, `error` and `unavailable` leave the outcome at the provider unknown.
 */
export type ProviderFailure =
  | { kind: 'declined'; code: string; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'error'; message: string; status?: number }
  | { kind: 'unavailable'; message: string };

/** One message to a provider and its answer, for the reporting copy's message traces. */
export interface LegTrace {
  method: string;
  url: string;
  request?: unknown;
  status?: number;
  response?: unknown;
  startedAt: string;
  durationMs: number;
}

export type ProviderExchange<T> = { trace: LegTrace } & (
  | { ok: true; value: T }
  | { ok: false; failure: ProviderFailure }
);

export type ProviderRegistry = Record<ProviderId, VoucherProvider>;
