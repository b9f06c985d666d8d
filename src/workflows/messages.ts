import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChannelAnswer } from '../contract/answers';
import type { AdviceTarget } from '../domain/advices';
import type { AdviceRecord, ChannelAdvice, Lifecycle, SubmissionMode } from '../domain/lifecycle';
import type { ProvisionInput } from '../domain/provision';
import type { UseInput } from '../domain/use';
import type { Claim, ClaimAnswer, UseOutcome, VoucherBlocking, VoucherRecord } from '../domain/voucher';

/*
 * Every transaction workflow (provision, redemption, refund) takes the same messages under the
 * same names; only the request's input differs.
 */

/**
 * The channel's request, or its retry. The first submission is processed and gets the outcome;
 * a repeated request gets DUPLICATE_RECORD, a retry the original answer.
 */
export const submitProvision = defineUpdate<ChannelAnswer, [ProvisionInput, SubmissionMode]>('submit');
export const submitUse = defineUpdate<ChannelAnswer, [UseInput, SubmissionMode]>('submit');

/** A reversal as the workflow takes it. */
export type ReversalAdvice = ChannelAdvice & { reversalReason?: string };

/**
 * The switch's own reversal of a transaction whose outcome it could not pass on to the channel
 * (it timed out, or failed): what the channel was told, an error, is then what happens at the
 * provider. A signal, with start: durable once sent, and it starts the workflow if the
 * submission never reached it, so that a late request is refused.
 */
export interface Abandonment extends ReversalAdvice {
  reversalReason: 'TIMEOUT' | 'RESPONSE_NOT_FINAL';
  /** The update id of the submission whose answer the channel never got. */
  submission: string;
  /** The error the channel got instead. */
  told: ChannelAnswer;
}
export const abandonTransaction = defineSignal<[Abandonment]>('abandon');

/** The channel's advices; the answer is the contract's 202 echo or an ErrorDetail. */
export const confirmTransaction = defineUpdate<ChannelAnswer, [ChannelAdvice]>('confirm');
export const reverseTransaction = defineUpdate<ChannelAnswer, [ReversalAdvice]>('reverse');

/** The transaction's state and advices; answered by finished workflows too. */
export const transactionSnapshot = defineQuery<Lifecycle>('snapshot');

/**
 * The same state, read as an update that its validator refuses with the state (`stateRead`): a
 * refused update writes no history, and unlike a query it reaches a running workflow only
 * between workflow tasks. A query answered while a task waits for its local activity can have the
 * SDK complete the task before the workflow has taken the activity's result (TS SDK 1.24); a
 * message arriving with the next task is then taken before that result, and the history no
 * longer replays. The API reads running transactions this way; operators may still query.
 */
export const readTransaction = defineUpdate<Lifecycle>('read');

/** The ApplicationFailure type by which `readTransaction`'s validator returns the state. */
export const stateRead = 'TransactionState';

/** The ApplicationFailure type by which a validator returns the channel's answer. */
export const rejectedWithAnswer = 'ChannelAnswer';

/** What a voucher's workflow is told by the transactions that use it. */
export type VoucherEvent =
  | { type: 'claim'; claim: Claim }
  /** Its provision is being reversed (single messaging): the voucher goes with it unless it was used. */
  | { type: 'withdraw'; reference: string; workflowId: string }
  | { type: 'outcome'; outcome: UseOutcome }
  | { type: 'adviceSettled'; adviceId: string };

export const voucherEvent = defineSignal<[VoucherEvent]>('voucherEvent');

/** The voucher workflow's answer to a claim, sent back to the claiming workflow. */
export const claimAnswered = defineSignal<[ClaimAnswer]>('claimAnswered');

export const voucherSnapshot = defineQuery<VoucherRecord>('voucherSnapshot');

/** A back-office operator blocks or unblocks the voucher; the answer is its record after. */
export const setVoucherBlocking = defineUpdate<VoucherRecord, [VoucherBlocking]>('setBlocking');

/** An advice the provider refused, sent again at a back-office operator's request (`redeliverAdvice`). */
export interface AdviceRedelivery {
  actionId: string;
  operator: string;
  transactionId: string;
  target: AdviceTarget;
  advice: Pick<AdviceRecord, 'kind' | 'id' | 'origin' | 'reason'>;
}
