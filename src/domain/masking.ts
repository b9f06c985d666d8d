/** Keeps the last four characters of a voucher code: enough to tell vouchers apart, not to use one. */
export function maskCode(code: string): string {
  const visible = code.length > 8 ? 4 : Math.min(2, Math.floor(code.length / 2));
  return `${'*'.repeat(code.length - visible)}${code.slice(code.length - visible)}`;
}

/**
 * A copy of a message with every voucher code masked (`voucher.code` and `voucherCode` at any
 * depth), for message traces and anything else that leaves the transaction's own path.
 */
export function maskVoucherCodes<T>(message: T): T {
  if (Array.isArray(message)) return message.map(maskVoucherCodes) as T;
  if (message === null || typeof message !== 'object') return message;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    const isVoucher = key === 'voucher' && value !== null && typeof value === 'object';
    if (key === 'voucherCode' && typeof value === 'string') copy[key] = maskCode(value);
    else copy[key] = isVoucher ? maskVoucher(value as Record<string, unknown>) : maskVoucherCodes(value);
  }
  return copy as T;
}

function maskVoucher(voucher: Record<string, unknown>): Record<string, unknown> {
  const masked = maskVoucherCodes(voucher);
  return typeof voucher.code === 'string' ? { ...masked, code: maskCode(voucher.code) } : masked;
}
