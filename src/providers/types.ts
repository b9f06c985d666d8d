import type { ProviderId, ProviderProfile } from '../domain/providers';

/** What every provider adapter offers the switch. Later operations join this interface. */
export interface VoucherProvider {
  readonly profile: ProviderProfile;
  /** Provisions a voucher. `reference` is the switch's stable id: asking twice provisions once. */
  provision(order: ProvisionOrder, options: CallOptions): Promise<ProviderExchange<ProvisionedVoucher>>;
  /** Confirms a provision. Every advice carries its own stable id: sending it twice settles once. */
  confirm(advice: ProviderAdvice, options: CallOptions): Promise<ProviderExchange<unknown>>;
  /** Reverses a provision. */
  reverse(advice: ProviderAdvice, options: CallOptions): Promise<ProviderExchange<unknown>>;
  /** The provider's product catalogue. */
  products(options: CallOptions): Promise<ProviderExchange<CatalogueProduct[]>>;
}

export interface CallOptions {
  /** The provider's deadline; past it the call ends as a timeout. */
  deadlineMs: number;
}

export interface ProvisionOrder {
  reference: string;
  channelMessageId: string;
  productId?: string;
  voucherProvider?: string;
  amount?: { amount: number; currency: string };
}

/** A confirmation or reversal as the provider receives it. */
export interface ProviderAdvice {
  id: string;
  /** The switch's reference of the provision it settles (what the provider knows it by). */
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
