/**
 * Every failure the switch answers with, mapped to its HTTP status and the contract's `errorType`
 * (contract §1.3–§1.6). Adding a kind without its status is a type error.
 */
export const errorKinds = {
  formatError: { status: 400, errorType: 'FORMAT_ERROR' },
  unauthenticated: { status: 401, errorType: 'AUTHENTICATION_ERROR' },
  clientMismatch: { status: 400, errorType: 'AUTHENTICATION_ERROR' },
  /** The channel's allow-list of networks does not hold the request's address. */
  sourceNotAllowed: { status: 403, errorType: 'AUTHENTICATION_ERROR' },
  /** An operator action sent from another site's page, which the browser sent with the operator's login. */
  crossSiteRequest: { status: 403, errorType: 'AUTHENTICATION_ERROR' },
  /** An operator whose role does not allow the action (a viewer acting), or approving their own action. */
  operatorNotAllowed: { status: 403, errorType: 'AUTHENTICATION_ERROR' },
  routingFailed: { status: 404, errorType: 'ROUTING_ERROR' },
  duplicateRecord: { status: 400, errorType: 'DUPLICATE_RECORD' },
  unknownRecord: { status: 404, errorType: 'UNABLE_TO_LOCATE_RECORD' },
  voucherAlreadyReversed: { status: 400, errorType: 'VOUCHER_ALREADY_REVERSED' },
  voucherAlreadyConfirmed: { status: 400, errorType: 'VOUCHER_ALREADY_CONFIRMED' },
  functionNotSupported: { status: 404, errorType: 'FUNCTION_NOT_SUPPORTED' },
  redemptionNotSupported: { status: 400, errorType: 'FUNCTION_NOT_SUPPORTED' },
  voucherNotRedeemable: { status: 400, errorType: 'VOUCHER_NOT_REDEEMABLE' },
  /** Blocked by the switch's back office (lost or stolen): channels know the contract's types only. */
  voucherBlocked: { status: 400, errorType: 'VOUCHER_NOT_REDEEMABLE' },
  voucherAlreadyRedeemed: { status: 400, errorType: 'VOUCHER_ALREADY_REDEEMED' },
  voucherNotRedeemed: { status: 400, errorType: 'VOUCHER_NOT_REDEEMED' },
  redemptionAlreadyReversed: { status: 400, errorType: 'REDEMPTION_ALREADY_REVERSED' },
  redemptionAlreadyConfirmed: { status: 400, errorType: 'REDEMPTION_ALREADY_CONFIRMED' },
  redemptionNotConfirmed: { status: 400, errorType: 'REDEMPTION_NOT_CONFIRMED' },
  voucherAlreadyRefunded: { status: 400, errorType: 'VOUCHER_ALREADY_REFUNDED' },
  voucherNotRefunded: { status: 400, errorType: 'VOUCHER_NOT_REFUNDED' },
  refundAlreadyReversed: { status: 400, errorType: 'REFUND_ALREADY_REVERSED' },
  refundAlreadyConfirmed: { status: 400, errorType: 'REFUND_ALREADY_CONFIRMED' },
  providerTimeout: { status: 504, errorType: 'GENERAL_ERROR' },
  providerError: { status: 500, errorType: 'GENERAL_ERROR' },
  providerUnavailable: { status: 503, errorType: 'UPSTREAM_UNAVAILABLE' },
  /** A product could not be routed because a provider's catalogue could not be fetched: try again later. */
  catalogueUnavailable: { status: 503, errorType: 'UPSTREAM_UNAVAILABLE' },
  switchTimeout: { status: 504, errorType: 'GENERAL_ERROR' },
  switchFault: { status: 500, errorType: 'GENERAL_ERROR' },
  // The process is up but still connecting: nothing was done, and the same message may come again.
  switchStarting: { status: 503, errorType: 'GENERAL_ERROR' },
  unknownEndpoint: { status: 404, errorType: 'FUNCTION_NOT_SUPPORTED' },
  /** A settlement report asked of a business day that has not ended. */
  businessDayOpen: { status: 409, errorType: 'GENERAL_ERROR' },
  /** An operator action the transaction's state or the switch's rules refuse: nothing changed. */
  actionRefused: { status: 409, errorType: 'GENERAL_ERROR' },
  /** An operator action that could not run (Temporal unreachable, say): nothing is known to have changed. */
  actionFailed: { status: 503, errorType: 'GENERAL_ERROR' },
  methodNotAllowed: { status: 405, errorType: 'FUNCTION_NOT_SUPPORTED' },
  bodyTooLarge: { status: 413, errorType: 'FORMAT_ERROR' },
  // SUV channels know only the contract's error types: the status and Retry-After say the rest.
  rateLimited: { status: 429, errorType: 'GENERAL_ERROR' },
  /** A new transaction while the instance has its limit in flight: nothing was done, Retry-After says when. */
  switchBusy: { status: 429, errorType: 'GENERAL_ERROR' },
} as const satisfies Record<string, { status: ErrorStatus; errorType: string }>;

import type { ErrorAnswer, ErrorDetail, ErrorStatus } from '../contract/answers';

export type ErrorKind = keyof typeof errorKinds;

/**
 * The switch's own error types that say the channel is at fault (its message, its credentials,
 * its ids). A provider that declines with one of them is at fault itself, towards the switch:
 * the channel never learns it as if it were its own (the provider's reason stays in the trace).
 */
export const channelFaultTypes: ReadonlySet<string> = new Set([
  errorKinds.formatError.errorType,
  errorKinds.unauthenticated.errorType,
  errorKinds.routingFailed.errorType,
  errorKinds.duplicateRecord.errorType,
  errorKinds.unknownRecord.errorType,
]);

/** The ErrorDetail body every error carries (contract §1.2); absent fields are omitted. */
export type { ErrorDetail };

/** A failure the switch answers with a known status and ErrorDetail. */
export class SwitchError extends Error {
  override name = 'SwitchError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly detail: Omit<ErrorDetail, 'errorType' | 'errorMessage'> = {},
  ) {
    super(message);
  }

  get status(): ErrorStatus {
    return errorKinds[this.kind].status;
  }

  toErrorDetail(): ErrorDetail {
    return errorDetail(this.kind, this.message, this.detail);
  }

  toChannelAnswer(): ErrorAnswer {
    return { status: this.status, body: this.toErrorDetail() };
  }
}

export function errorDetail(
  kind: ErrorKind,
  errorMessage: string,
  detail: Omit<ErrorDetail, 'errorType' | 'errorMessage'> = {},
): ErrorDetail {
  const present = Object.entries(detail).filter(([, value]) => value !== undefined);
  return { ...Object.fromEntries(present), errorType: errorKinds[kind].errorType, errorMessage };
}

/** An error as the channel's answer: its status and ErrorDetail body. */
export function errorAnswer(
  kind: ErrorKind,
  message: string,
  detail: Omit<ErrorDetail, 'errorType' | 'errorMessage'> = {},
): ErrorAnswer {
  return { status: errorKinds[kind].status, body: errorDetail(kind, message, detail) };
}
