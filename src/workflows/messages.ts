import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ChannelAnswer, ProvisionState } from '../domain/provision';

/**
 * Waits for the provision's outcome and answers the channel. The first submission gets the
 * outcome itself; any other submission of the same message id gets DUPLICATE_RECORD.
 */
export const submitProvision = defineUpdate<ChannelAnswer>('submitProvision');

export interface ProvisionSnapshot {
  state: ProvisionState;
  provider: string;
  answer?: ChannelAnswer;
}

export const provisionSnapshot = defineQuery<ProvisionSnapshot>('provisionSnapshot');
