import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ChannelAdvice, Lifecycle, SubmissionMode } from '../domain/lifecycle';
import type { ChannelAnswer, ProvisionInput } from '../domain/provision';

/**
 * The channel's provision request, or its retry. The first submission is provisioned and gets
 * the outcome; a repeated provision gets DUPLICATE_RECORD, a retry the original answer.
 */
export const submitProvision = defineUpdate<ChannelAnswer, [ProvisionInput, SubmissionMode]>('submitProvision');

/** The channel's advices; the answer is the contract's 202 echo or an ErrorDetail. */
export const confirmProvision = defineUpdate<ChannelAnswer, [ChannelAdvice]>('confirmProvision');
export const reverseProvision = defineUpdate<ChannelAnswer, [ChannelAdvice & { reversalReason?: string }]>(
  'reverseProvision',
);

export type ProvisionSnapshot = Lifecycle & { provider?: string };

/** The transaction's state and advices; answered by finished workflows too. */
export const provisionSnapshot = defineQuery<ProvisionSnapshot>('provisionSnapshot');

/** The ApplicationFailure type by which a validator returns the channel's answer. */
export const rejectedWithAnswer = 'ChannelAnswer';
