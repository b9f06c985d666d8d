import type { AdviceAnswer, AdviceEcho, ChannelAnswer } from '../contract/answers';
import { type ErrorKind, errorAnswer } from './errors';
import type { AdviceOperation, LegTrace } from './provider-protocol';
import type { ProviderId, ProviderProfile } from './providers';

/**
 * The life cycle of a channel transaction (contract §1.5–§1.6) as plain data and decisions. A
 * provision, a redemption and a refund share it: a request, the provider's answer, then one
 * confirmation or reversal. Their workflows keep a `Lifecycle`; update validators and handlers,
 * and the API for finished workflows, all decide with the functions below, so one rule never
 * has two implementations.
 */

export type TransactionType = 'provision' | 'redemption' | 'refund';

/** Who sent a transaction, as its workflow is started with: known even when only a reversal came. */
export interface TransactionOrigin {
  channelId: string;
  messageId: string;
  /**
   * What the reporting copy held for this message id when the API started the run with its
   * request: an earlier run's state (that run's history since deleted), or null for none. Absent
   * when the API could not look in time, and in runs started before it looked: the workflow then
   * looks itself.
   */
  earlierRun?: LastingState | null;
}

/**
 * What the reporting copy keeps of a transaction's state for as long as it keeps the
 * transaction, past its workflow's history: enough to answer its message id again (the answer,
 * with the voucher, and the advices), without the message traces, which have rows of their own.
 */
export type LastingState = Pick<Lifecycle, 'phase' | 'answer' | 'channelError' | 'earlyReversalId' | 'advices'>;

export type Phase =
  /** Only a reversal has arrived: the request was never seen. */
  | 'AWAITING_REQUEST'
  /** The request is being processed: the voucher claimed, the provider asked. */
  | 'IN_FLIGHT'
  /** The provider approved; waiting for the channel's confirmation or reversal (or the switch's timer). */
  | 'APPROVED'
  | 'DECLINED'
  | 'CONFIRMED'
  | 'REVERSED';

export type AdviceKind = 'confirm' | 'reverse';

/** The provider operation that carries each transaction's confirmation or reversal. */
export const adviceOperations: Record<TransactionType, Record<AdviceKind, AdviceOperation>> = {
  provision: { confirm: 'confirm', reverse: 'reverse' },
  redemption: { confirm: 'confirmRedeem', reverse: 'reverseRedeem' },
  refund: { confirm: 'confirmRefund', reverse: 'reverseRefund' },
};
export type SafState = 'pending' | 'delivered' | 'consumed' | 'refused';

export interface AdviceRecord {
  kind: AdviceKind;
  /** The channel's advice id, or the switch's own for an advice the switch raised. */
  id: string;
  origin: 'channel' | 'switch';
  reason?: string;
  saf: SafState;
  /** When the switch accepted or raised it: the age of a pending advice is measured from here. */
  acceptedAt?: string;
  /** Deliveries tried, the last one included; absent until the provider answered. */
  attempts?: number;
  settledAt?: string;
  lastError?: string;
  /** The delivery's message to the provider and its answer. */
  trace?: LegTrace;
}

export interface Lifecycle {
  phase: Phase;
  /** The provider the transaction went to, once known. */
  provider?: ProviderId;
  /** The answer the request got; every later look at the request gets it again. */
  answer?: ChannelAnswer;
  answeredAt?: string;
  /** The reversal that arrived before its request. */
  earlyReversalId?: string;
  /** The request's message to the provider and its answer. */
  providerLeg?: LegTrace;
  advices: AdviceRecord[];
  /**
   * The error the channel was told in place of `answer`: the switch could not pass the outcome
   * on in time (or failed itself), and reversed the transaction so that it is what the channel
   * was told.
   */
  channelError?: ChannelAnswer;
  /**
   * This run only answers for a transaction an earlier run of its workflow id processed, whose
   * history is gone (the namespace's retention): its state is the earlier run's, from the
   * reporting copy, and nothing is asked of the provider again.
   */
  earlierRun?: boolean;
  /**
   * Why the reporting copy refused the transaction's last write (its data, not an outage): the
   * row lags behind this state. The transaction goes on regardless.
   */
  reportingRefused?: string;
}

/** A transaction before anything has arrived. */
export function newLifecycle(): Lifecycle {
  return { phase: 'AWAITING_REQUEST', advices: [] };
}

/** Whether the transaction may still be settled: its request is at the provider, or approved and awaiting its advice. */
export function isUnsettled(state: Pick<Lifecycle, 'phase'>): boolean {
  return state.phase === 'IN_FLIGHT' || state.phase === 'APPROVED';
}

/** Only a reversal came, and it was remembered: the request, should it come, is refused for good. */
export function reversedBeforeItsRequest(state: Pick<Lifecycle, 'phase' | 'earlyReversalId' | 'answer'>): boolean {
  return state.phase === 'AWAITING_REQUEST' && state.earlyReversalId !== undefined && state.answer === undefined;
}

/** An advice that settles a transaction: whose it is, and why (a reversal's reason). */
export interface Settlement {
  kind: AdviceKind;
  id: string;
  origin: AdviceRecord['origin'];
  reason?: string;
}

/** Settles the transaction by a confirmation or reversal, pending delivery to the provider from `at`. */
export function settle(state: Lifecycle, settlement: Settlement, at: Date): AdviceRecord {
  const advice: AdviceRecord = { ...settlement, saf: 'pending', acceptedAt: at.toISOString() };
  state.advices.push(advice);
  state.phase = settlement.kind === 'confirm' ? 'CONFIRMED' : 'REVERSED';
  return advice;
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

const echo = (advice: ChannelAdvice): AdviceAnswer => ({ status: 202, body: { ...advice } as AdviceEcho });

/** An advice settles the transaction, repeats an accepted one, or is refused with an error. */
type AdviceOutcome = 'settle' | 'repeat' | ErrorKind;

/**
 * Contract §1.5, advice rows, by the transaction's phase once it is no longer in flight. A phase
 * not listed (the request never seen) is UNABLE_TO_LOCATE_RECORD. A provision's confirmation may
 * be repeated; a redemption's or refund's may not.
 */
const confirmOutcomes: Record<TransactionType, Partial<Record<Phase, AdviceOutcome>>> = {
  provision: { APPROVED: 'settle', CONFIRMED: 'repeat', REVERSED: 'voucherAlreadyReversed' },
  redemption: {
    APPROVED: 'settle',
    CONFIRMED: 'voucherNotRedeemed',
    REVERSED: 'voucherNotRedeemed',
    DECLINED: 'voucherNotRedeemed',
  },
  refund: {
    APPROVED: 'settle',
    CONFIRMED: 'voucherNotRefunded',
    REVERSED: 'voucherNotRefunded',
    DECLINED: 'voucherNotRefunded',
  },
};

const reverseOutcomes: Record<TransactionType, Partial<Record<Phase, AdviceOutcome>>> = {
  provision: { APPROVED: 'settle', REVERSED: 'repeat', DECLINED: 'repeat', CONFIRMED: 'voucherAlreadyConfirmed' },
  redemption: { APPROVED: 'settle', REVERSED: 'repeat', DECLINED: 'repeat', CONFIRMED: 'redemptionAlreadyConfirmed' },
  refund: { APPROVED: 'settle', REVERSED: 'repeat', DECLINED: 'repeat', CONFIRMED: 'refundAlreadyConfirmed' },
};

/** A request that arrives after its own reversal. */
const reversedFirst: Record<TransactionType, ErrorKind> = {
  provision: 'voucherAlreadyReversed',
  redemption: 'redemptionAlreadyReversed',
  refund: 'refundAlreadyReversed',
};

const refusals: Partial<Record<ErrorKind, string>> = {
  voucherAlreadyReversed: 'The voucher was reversed.',
  voucherAlreadyConfirmed: 'The voucher was confirmed.',
  voucherNotRedeemed: 'The redemption is not awaiting confirmation.',
  voucherNotRefunded: 'The refund is not pending.',
  redemptionAlreadyConfirmed: 'The redemption was confirmed.',
  refundAlreadyConfirmed: 'The refund was confirmed.',
};

function decideAdvice(
  outcome: AdviceOutcome | undefined,
  kind: AdviceKind,
  state: Lifecycle,
  advice: ChannelAdvice & object,
): AdviceDecision {
  const ids = { id: advice.id, originalId: advice.requestId };
  if (outcome === 'settle' || outcome === 'repeat') {
    return { accept: true, settle: outcome === 'settle', answer: echo(advice) };
  }
  if (outcome === undefined) {
    // The request was never seen: a reversal is remembered so a late request is refused.
    const remember = kind === 'reverse' && state.earlyReversalId === undefined;
    const message = kind === 'reverse' ? 'No such request; the reversal is recorded.' : 'No such request.';
    return { accept: false, remember, answer: failure('unknownRecord', message, ids) };
  }
  const detail = outcome.endsWith('AlreadyReversed') ? settlementDetail(state, 'reverse') : undefined;
  const confirmed = outcome.endsWith('AlreadyConfirmed') ? settlementDetail(state, 'confirm') : undefined;
  return {
    accept: false,
    remember: false,
    answer: failure(
      outcome,
      refusals[outcome] ?? 'The transaction is not in a state for this advice.',
      ids,
      detail ?? confirmed,
    ),
  };
}

/** A confirmation, once the transaction is no longer in flight. */
export function decideConfirm(type: TransactionType, state: Lifecycle, advice: ChannelAdvice & object): AdviceDecision {
  return decideAdvice(confirmOutcomes[type][state.phase], 'confirm', state, advice);
}

/** A reversal, once the transaction is no longer in flight. */
export function decideReverse(type: TransactionType, state: Lifecycle, advice: ChannelAdvice & object): AdviceDecision {
  return decideAdvice(reverseOutcomes[type][state.phase], 'reverse', state, advice);
}

export type SubmissionMode = 'request' | 'retry';

/**
 * A request or retry for a transaction that already has a request or an early reversal. A retry
 * gets the original answer, but a voucher since reversed is never handed out again: the seed's
 * "searches for the original transaction outcome and responds with an ErrorDetail".
 */
export function answerRepeatedSubmission(
  type: TransactionType,
  state: Lifecycle,
  messageId: string,
  mode: SubmissionMode,
): ChannelAnswer {
  if (state.earlyReversalId !== undefined && state.answer === undefined) {
    return failure(reversedFirst[type], 'A reversal for this request arrived before it.', {
      id: messageId,
      originalId: state.earlyReversalId,
    });
  }
  const original = state.answer;
  const approved = original?.status === 201;
  if (mode === 'retry' && original) {
    const reversal = state.phase === 'REVERSED' ? state.advices.find((a) => a.kind === 'reverse') : undefined;
    if (!approved || !reversal) return original;
    return failure(reversedFirst[type], 'The transaction was reversed since.', {
      id: messageId,
      originalId: reversal.id,
    });
  }
  // The channel that provisioned the voucher gets it again, as the contract asks; never one it was not given.
  const voucher = type === 'provision' && approved && !state.channelError ? original.body.voucher : undefined;
  return failure(
    'duplicateRecord',
    `A ${type} with this id was already received.`,
    { id: messageId },
    voucher ? { voucher } : undefined,
  );
}

/** Contract §1.5: a retry that would have to ask the provider again, for a provider without retries. */
export function retryNotSupported(messageId: string, profile: ProviderProfile): ChannelAnswer {
  return failure('functionNotSupported', `${profile.name} does not support retries.`, { id: messageId });
}

function settlementDetail(state: Lifecycle, kind: AdviceKind) {
  const settlement = state.advices.find((a) => a.kind === kind);
  return settlement && (kind === 'reverse' ? { reversalId: settlement.id } : { confirmationId: settlement.id });
}
