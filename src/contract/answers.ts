import type { z } from '@hono/zod-openapi';
import type { basicAdvice, basicReversal, tenderAdvice } from './advice';
import type { errorDetail } from './error-detail';
import type { provisionResponse } from './provision';
import type { redemptionResponse, voucherLookupResponse } from './voucher-use';

/*
 * What the switch answers a channel, as a union of the contract's answers: each status with the
 * body the OpenAPI document declares for it. A workflow, the reporting copy and a route all hold
 * the same typed answer, so a body the contract does not declare is a type error where it is built.
 */

export type ErrorDetail = z.infer<typeof errorDetail>;
export type ProvisionResponse = z.infer<typeof provisionResponse>;
export type UseResponse = z.infer<typeof redemptionResponse>;
export type VoucherLookupResponse = z.infer<typeof voucherLookupResponse>;
/** A confirmation or reversal is accepted by echoing it. */
export type AdviceEcho = z.infer<typeof basicAdvice> | z.infer<typeof basicReversal> | z.infer<typeof tenderAdvice>;

/** The statuses an ErrorDetail comes with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 429 | 500 | 502 | 503 | 504;

export interface ProvisionAnswer {
  status: 201;
  body: ProvisionResponse;
}
export interface UseAnswer {
  status: 201;
  body: UseResponse;
}
export interface AdviceAnswer {
  status: 202;
  body: AdviceEcho;
}
export interface LookupAnswer {
  status: 200;
  body: VoucherLookupResponse;
}
export interface ErrorAnswer {
  status: ErrorStatus;
  body: ErrorDetail;
}

export type ChannelAnswer = ProvisionAnswer | UseAnswer | AdviceAnswer | LookupAnswer | ErrorAnswer;

/** Whether the answer is an approved provision, with its voucher. */
export function isProvisionAnswer(answer: ChannelAnswer | undefined): answer is ProvisionAnswer {
  return answer?.status === 201 && 'voucher' in answer.body;
}
