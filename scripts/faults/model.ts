import type { Json } from '../../test/helpers/fixtures';
import { isDefinite, type MessageKind, type Reply } from './channel';

/**
 * What the channel sent and what it was told, per transaction, and from that the final state
 * the switch must reach. The checker holds the switch to it.
 */

export type TransactionType = 'provision' | 'redemption' | 'refund';
export type LoadProvider = 'flash' | 'netcare' | 'stellr';
export type Phase = 'AWAITING_REQUEST' | 'IN_FLIGHT' | 'APPROVED' | 'DECLINED' | 'CONFIRMED' | 'REVERSED';

/** A definite answer as the model keeps it. */
export interface Answer {
  status: number;
  errorType?: string;
  /** Why the provider failed, as the switch reported it. */
  reason?: string;
  /** The voucher the answer carries (a 201, or a DUPLICATE_RECORD's original). */
  voucherCode?: string;
  /** Times the message was sent again before this answer. */
  retries: number;
}

export interface AdviceSent {
  kind: 'confirm' | 'reverse';
  id: string;
  /** Undefined: no definite answer within the channel's patience. */
  answer?: Answer;
}

export interface Txn {
  type: TransactionType;
  /** The channel's message id. */
  id: string;
  provider: LoadProvider;
  scenario: string;
  /** Undefined: no definite answer within the channel's patience. */
  answer?: Answer;
  advice?: AdviceSent;
  /** A reversal sent before the request. */
  earlyReversal?: AdviceSent;
}

/** The answer, when it is definite. */
export function answerOf(reply: Reply, kind: MessageKind = 'request'): Answer | undefined {
  if (!isDefinite(reply, kind)) return undefined;
  const body = reply.body as {
    errorType?: string;
    voucher?: { code?: string };
    detailMessage?: { reason?: string; voucher?: { code?: string } };
  };
  return {
    status: reply.status,
    errorType: body.errorType,
    reason: body.detailMessage?.reason,
    voucherCode: body.voucher?.code ?? body.detailMessage?.voucher?.code,
    retries: reply.retries,
  };
}

/**
 * The final phases the channel's answers allow, and whether the transaction may not exist at all
 * (`mayBeUntaken`: the switch failed before the request reached a workflow). `none`: the switch
 * told the channel it never took the request; `open`: the channel never got a definite answer,
 * so any settled phase will do.
 */
export type Expectation = { phases: Phase[]; mayBeUntaken?: boolean } | { none: true } | { open: true };

export function expectation(txn: Txn): Expectation {
  const answer = txn.answer;
  if (!answer) return reversedWhenOpen(txn.advice);
  if (answer.status === 201) return { phases: afterApproval(txn.advice) };
  if (answer.errorType?.endsWith('_ALREADY_REVERSED')) {
    // Refused for a reversal that came before it, or (a retry) for the reversal of the request it repeats.
    return { phases: [txn.earlyReversal ? 'AWAITING_REQUEST' : 'REVERSED'] };
  }
  if (txn.type === 'provision' && answer.errorType === 'FUNCTION_NOT_SUPPORTED') return { none: true };
  if (answer.errorType === 'DUPLICATE_RECORD' && txn.type !== 'provision') {
    // A redemption or refund sent again after an open outcome: the channel reversed it.
    return { phases: ['REVERSED', 'DECLINED'] };
  }
  if (answer.status >= 500 && answer.reason === undefined) {
    // The switch's own error: it reversed the transaction for the channel, or, when the request
    // never reached its workflow, remembered the reversal so that the request is refused later
    // (or, were Temporal unreachable throughout, never took it). Declined stays declined.
    return { phases: ['REVERSED', 'DECLINED', 'AWAITING_REQUEST'], mayBeUntaken: true };
  }
  if (answer.status >= 500) {
    // A redemption whose voucher's pending advices could not be delivered first was never asked of the provider.
    if (txn.type !== 'provision' && answer.reason?.startsWith('pending ')) return { phases: ['DECLINED'] };
    return { phases: ['REVERSED'] };
  }
  return { phases: ['DECLINED'] };
}

/** The channel reversed a request whose outcome it never learnt: reversed (or declined anyway), or never taken. */
function reversedWhenOpen(advice: AdviceSent | undefined): Expectation {
  if (advice?.kind !== 'reverse' || !advice.answer) return { open: true };
  if (advice.answer.status === 202) return { phases: ['REVERSED', 'DECLINED'] };
  // Unknown to the switch: remembered, and the request refused if it comes.
  if (advice.answer.errorType === 'UNABLE_TO_LOCATE_RECORD') return { phases: ['AWAITING_REQUEST'] };
  return { phases: [] };
}

function afterApproval(advice: AdviceSent | undefined): Phase[] {
  // Dual messaging: what the channel leaves unconfirmed, the switch reverses at the deadline.
  if (!advice) return ['REVERSED'];
  const answer = advice.answer;
  if (!answer) return ['CONFIRMED', 'REVERSED'];
  if (answer.status === 202) return [advice.kind === 'confirm' ? 'CONFIRMED' : 'REVERSED'];
  if (answer.errorType?.endsWith('_ALREADY_CONFIRMED')) return ['CONFIRMED'];
  if (answer.errorType?.endsWith('_ALREADY_REVERSED')) return ['REVERSED'];
  if (answer.errorType === 'VOUCHER_NOT_REDEEMED' || answer.errorType === 'VOUCHER_NOT_REFUNDED') {
    // Refused as not pending: reversed at the deadline, or, when sent again, confirmed by an earlier copy.
    return answer.retries > 0 ? ['CONFIRMED', 'REVERSED'] : ['REVERSED'];
  }
  return [];
}

/** What a problem found means for the channel or the provider. */
/** `unexercised`: the run did not test what it claims to, e.g. an API instance that took no traffic. */
export type ProblemKind = 'lost' | 'duplicated' | 'unsettled' | 'inconsistent' | 'unreconciled' | 'unexercised';

export interface Problem {
  kind: ProblemKind;
  message: string;
}

/** Every transaction of the run, and what the flows noticed on the channel's side. */
export class Model {
  readonly txns: Txn[] = [];
  /** Answers that broke a rule the channel can see by itself (two vouchers for one id, …). */
  readonly problems: Problem[] = [];
  readonly counts = {
    duplicatesAtOnce: 0,
    retriesInFlight: 0,
    earlyReversals: 0,
    concurrentRedemptions: 0,
    reversedWhenOpen: 0,
  };

  add(txn: Omit<Txn, 'answer'>, reply?: Reply): Txn {
    const added: Txn = { ...txn, answer: reply && answerOf(reply) };
    this.txns.push(added);
    return added;
  }

  problem(kind: ProblemKind, message: string, details?: Json) {
    this.problems.push({ kind, message: details ? `${message}: ${JSON.stringify(details)}` : message });
  }
}
