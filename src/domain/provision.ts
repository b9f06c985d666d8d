import type { ErrorAnswer, ProvisionAnswer } from '../contract/answers';
import type { ProvisionRequest } from '../contract/provision';
import { channelFaultTypes, type ErrorKind, errorAnswer } from './errors';
import type { Lifecycle, Phase, TransactionType } from './lifecycle';
import type { ProviderExchange, ProviderFailure, ProvisionedVoucher, ProvisionOrder } from './provider-protocol';
import type { ProviderCapabilities, ProviderId } from './providers';

export interface Institution {
  id: string;
  name: string;
}

/** Everything a provision workflow needs, fixed when the channel's request arrives. */
export interface ProvisionInput {
  transactionId: string;
  /** The switch's own id for this transaction, sent to the provider as its idempotency key. */
  switchReference: string;
  channelId: string;
  messaging: 'single' | 'dual';
  provider: ProviderId;
  voucherProvider?: string;
  /** The provider's capabilities when the request arrived; absent in inputs from before they travelled with it. */
  capabilities?: ProviderCapabilities;
  /** How long the provider may take before the switch gives up on it. */
  deadlineMs: number;
  /**
   * Single messaging: the window after which the switch confirms for the channel.
   * Dual messaging: the deadline after which an unconfirmed provision is reversed.
   */
  settleAfterMs: number;
  switchInstitution: Institution;
  providerInstitution: Institution;
  request: ProvisionRequest;
  receivedAt: string;
}

/** How a provider call ended, without its message trace. */
export type ProviderResult<T> = { ok: true; value: T } | { ok: false; failure: ProviderFailure };

/** A provider call as the workflow sees it: its result and the message trace. */
export type ProviderAttempt<T> = ProviderExchange<T>;

/** A provision's provider call; an issued voucher comes with its keyed hash, its identity at the switch. */
export type ProvisionAttempt = ProviderAttempt<ProvisionedVoucher> & { voucherKey?: string };

/**
 * The provider call ended without an answer from the activity (its worker was lost past the
 * deadline): the provider may or may not have acted, exactly as after a timeout.
 */
export function lostAttempt(order: unknown, startedAt: string, message: string): ProviderAttempt<never> {
  return {
    ok: false,
    failure: { kind: 'timeout', message },
    trace: { method: 'POST', url: 'provider (no answer recorded)', request: order, startedAt, durationMs: 0 },
  };
}

/** The workflow of a channel's transaction: readable, and scoped to the channel that sent it. */
export function workflowIdFor(channelId: string, messageId: string, type: TransactionType = 'provision'): string {
  return `${type}-${channelId}-${messageId.toLowerCase()}`;
}

/** The provider-neutral order sent to the provider for this request. */
export function provisionOrder(input: ProvisionInput): ProvisionOrder {
  const { request } = input;
  const amount = request.amounts?.requestAmount;
  return {
    reference: input.switchReference,
    channelMessageId: request.id,
    productId: request.product?.productId,
    voucherProvider: input.voucherProvider,
    amount: amount && { amount: amount.amount, currency: amount.currency },
  };
}

const failureKinds: Record<Exclude<ProviderFailure['kind'], 'declined'>, ErrorKind> = {
  timeout: 'providerTimeout',
  error: 'providerError',
  unavailable: 'providerUnavailable',
};

/** The channel's answer for a provision outcome (contract §1.5, provision rows). */
export function answerProvision(
  input: ProvisionInput,
  result: ProviderResult<ProvisionedVoucher>,
): ProvisionAnswer | ErrorAnswer {
  const { request } = input;
  if (!result.ok) return answerProviderFailure(request.id, input.provider, result.failure);
  const { providerReference, voucher } = result.value;
  const approved = approvedBody(request, input, request.receiver ?? input.providerInstitution, providerReference);
  return { status: 201, body: { ...approved, voucher: { ...request.voucher, ...voucher } } };
}

/** An identifier an institution gave the transaction. */
export interface ThirdPartyIdentifier {
  institutionId: string;
  transactionIdentifier: string;
}

/** The switch's side of a transaction: its institution and its reference for the request. */
export interface SwitchSide {
  switchInstitution: Institution;
  switchReference: string;
}

/**
 * A request the provider approved (contract §1.2): echoed as received, with the settlement entity
 * and receiver named, and the switch's and the provider's identifiers appended to the channel's.
 */
export function approvedBody<
  R extends { settlementEntity?: Institution; thirdPartyIdentifiers: ThirdPartyIdentifier[] },
>(request: R, { switchInstitution, switchReference }: SwitchSide, receiver: Institution, providerReference: string) {
  return {
    ...request,
    settlementEntity: request.settlementEntity ?? switchInstitution,
    receiver,
    thirdPartyIdentifiers: [
      ...request.thirdPartyIdentifiers,
      { institutionId: switchInstitution.id, transactionIdentifier: switchReference },
      { institutionId: receiver.id, transactionIdentifier: providerReference },
    ],
  };
}

/**
 * A provider call that did not succeed: its hard decline, or a timeout, error or outage that the
 * switch settles by reversal. Every hard decline is 404 (the seed's "hard decline or other error
 * at the service provider"), with the provider's reason, unless that reason would blame the
 * channel for what is the provider's fault.
 */
export function answerProviderFailure(requestId: string, provider: ProviderId, failure: ProviderFailure): ErrorAnswer {
  if (failure.kind === 'declined') {
    if (channelFaultTypes.has(failure.code)) {
      return {
        status: 404,
        body: {
          id: requestId,
          errorType: 'GENERAL_ERROR',
          errorMessage: 'The provider could not process the request.',
        },
      };
    }
    return {
      status: 404,
      body: {
        id: requestId,
        errorType: failure.code,
        errorMessage: 'The provider declined the request.',
        providerErrorCode: failure.code,
        providerErrorMsg: failure.message,
      },
    };
  }
  return errorAnswer(failureKinds[failure.kind], providerFailureMessages[failure.kind], {
    id: requestId,
    detailMessage: { provider, reason: failure.message },
  });
}

const providerFailureMessages: Record<keyof typeof failureKinds, string> = {
  timeout: 'The provider did not answer in time.',
  error: 'The provider failed to process the request.',
  unavailable: 'The provider is unavailable.',
};

/**
 * The phase after the provider's answer. A failure that leaves the outcome unknown counts as
 * reversed: the switch reverses it at the provider by itself.
 */
/**
 * A provision as its provider's answer leaves it: the channel's answer, when it was given, the
 * provider leg and the phase. Settling a failure is the workflow's own. The workflow applies it,
 * and so does the activity that writes the first row with the answer, so both see one state.
 */
export function answered(state: Lifecycle, input: ProvisionInput, attempt: ProvisionAttempt, at: string): Lifecycle {
  state.answer = answerProvision(input, attempt);
  state.answeredAt = at;
  state.providerLeg = attempt.trace;
  state.phase = phaseAfter(attempt);
  return state;
}

export function phaseAfter(result: ProviderResult<unknown>): Phase {
  if (result.ok) return 'APPROVED';
  return result.failure.kind === 'declined' ? 'DECLINED' : 'REVERSED';
}

/** The reason the switch gives the provider when it reverses a request whose outcome it does not know. */
export function switchReversalReason(failure: ProviderFailure): 'TIMEOUT' | 'RESPONSE_NOT_FINAL' {
  return failure.kind === 'timeout' ? 'TIMEOUT' : 'RESPONSE_NOT_FINAL';
}

/**
 * The switch's reference for a transaction, derived from its workflow id: every submission of
 * one transaction (a duplicate, a retry, a request replayed after a lost worker) carries the same
 * reference, so the provider, which is idempotent on it, can never act twice for it.
 */
export function switchReferenceFor(transactionId: string, digest: (text: string) => string): string {
  const hex = digest(transactionId);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
