import type { LegTrace } from '../providers/types';
import { type ErrorKind, errorAnswer } from './errors';
import type { ProviderProfile } from './providers';
import type { ChannelAnswer } from './provision';

/**
 * The provision life cycle (contract §1.5–§1.6) as plain data and decisions. The workflow keeps a
 * `Lifecycle`; its update validators and handlers, and the API for finished workflows, all decide
 * with the functions below, so one rule never has two implementations.
 */

export type Phase =
  /** Only a reversal has arrived: the request was never seen. */
  | 'AWAITING_REQUEST'
  | 'PROVISIONING'
  /** Provisioned, waiting for the channel's confirmation or reversal (or the switch's timer). */
  | 'PROVISIONED'
  | 'DECLINED'
  | 'CONFIRMED'
  | 'REVERSED';

export type AdviceKind = 'confirm' | 'reverse';
export type SafState = 'pending' | 'delivered' | 'consumed' | 'refused';

export interface AdviceRecord {
  kind: AdviceKind;
  /** The channel's advice id, or the switch's own for an advice the switch raised. */
  id: string;
  origin: 'channel' | 'switch';
  reason?: string;
  saf: SafState;
  lastError?: string;
  /** The delivery's message to the provider and its answer. */
  trace?: LegTrace;
}

export interface Lifecycle {
  phase: Phase;
  /** The answer the request got; every later look at the request gets it again. */
  answer?: ChannelAnswer;
  /** The reversal that arrived before its request. */
  earlyReversalId?: string;
  /** The provision's message to the provider and its answer. */
  provisionLeg?: LegTrace;
  advices: AdviceRecord[];
}

export interface ChannelAdvice {
  id: string;
  requestId: string;
}

function failure(kind: ErrorKind, message: string, ids: { id: string; originalId?: string }, detail?: object) {
  return errorAnswer(kind, message, { ...ids, detailMessage: detail && { ...detail } });
}

/** What to do with an advice: answer now (and change nothing), or accept it (202) and settle. */
export type AdviceDecision =
  | { accept: true; settle: boolean; answer: ChannelAnswer }
  | { accept: false; remember: boolean; answer: ChannelAnswer };

const echo = (advice: object): ChannelAnswer => ({ status: 202, body: { ...advice } });

/** confirmVoucher, once the provision is no longer in flight. */
export function decideConfirm(state: Lifecycle, advice: ChannelAdvice & object): AdviceDecision {
  const ids = { id: advice.id, originalId: advice.requestId };
  switch (state.phase) {
    case 'PROVISIONED':
      return { accept: true, settle: true, answer: echo(advice) };
    case 'CONFIRMED':
      return { accept: true, settle: false, answer: echo(advice) };
    case 'REVERSED':
      return {
        accept: false,
        remember: false,
        answer: failure('voucherAlreadyReversed', 'The voucher was reversed.', ids, reversalDetail(state)),
      };
    default:
      return { accept: false, remember: false, answer: failure('unknownRecord', 'No such provisioned voucher.', ids) };
  }
}

/** reverseVoucher, once the provision is no longer in flight. */
export function decideReverse(state: Lifecycle, advice: ChannelAdvice & object): AdviceDecision {
  const ids = { id: advice.id, originalId: advice.requestId };
  switch (state.phase) {
    case 'PROVISIONED':
      return { accept: true, settle: true, answer: echo(advice) };
    case 'REVERSED':
    case 'DECLINED':
      return { accept: true, settle: false, answer: echo(advice) };
    case 'CONFIRMED':
      return {
        accept: false,
        remember: false,
        answer: failure('voucherAlreadyConfirmed', 'The voucher was confirmed.', ids, confirmationDetail(state)),
      };
    default:
      // The request was never seen: the reversal is remembered so a late request is refused.
      return {
        accept: false,
        remember: state.earlyReversalId === undefined,
        answer: failure('unknownRecord', 'No such request; the reversal is recorded.', ids),
      };
  }
}

export type SubmissionMode = 'provision' | 'retry';

/** A provision or retry for a transaction that already has a request or an early reversal. */
export function answerRepeatedSubmission(state: Lifecycle, messageId: string, mode: SubmissionMode): ChannelAnswer {
  if (state.earlyReversalId !== undefined && state.answer === undefined) {
    return failure('voucherAlreadyReversed', 'A reversal for this request arrived before it.', {
      id: messageId,
      originalId: state.earlyReversalId,
    });
  }
  const original = state.answer as ChannelAnswer;
  if (mode === 'retry') return original;
  const voucher = original.status === 201 ? original.body.voucher : undefined;
  return failure(
    'duplicateRecord',
    'A provision with this id was already received.',
    { id: messageId },
    voucher ? { voucher } : undefined,
  );
}

/** Contract §1.5: a retry that would have to ask the provider again, for a provider without retries. */
export function retryNotSupported(messageId: string, profile: ProviderProfile): ChannelAnswer {
  return failure('functionNotSupported', `${profile.name} does not support retries.`, { id: messageId });
}

function reversalDetail(state: Lifecycle) {
  const reversal = state.advices.find((a) => a.kind === 'reverse');
  return reversal && { reversalId: reversal.id };
}

function confirmationDetail(state: Lifecycle) {
  const confirmation = state.advices.find((a) => a.kind === 'confirm');
  return confirmation && { confirmationId: confirmation.id };
}
