import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go through the payload codec too: a message may quote a
 * provider's answer, and with it a voucher code. Loaded by path inside the workflow sandbox.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
