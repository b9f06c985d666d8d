import { createHmac } from 'node:crypto';

/** A voucher's identity at the switch: a keyed hash of its code, so the code itself is never a key. */
export type VoucherKeyer = (code: string) => string;

export function voucherKeyer(secret: string): VoucherKeyer {
  return (code) => createHmac('sha256', secret).update(code).digest('hex').slice(0, 32);
}
