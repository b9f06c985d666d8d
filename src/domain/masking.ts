/** Keeps the last four characters of a voucher code: enough to tell vouchers apart, not to use one. */
export function maskCode(code: string): string {
  const visible = code.length > 8 ? 4 : Math.min(2, Math.floor(code.length / 2));
  return `${'*'.repeat(code.length - visible)}${code.slice(code.length - visible)}`;
}

/** The parts of a message that hold a person's data (names, phone numbers, e-mail addresses). */
const personal = new Set(['recipient', 'customer']);

/**
 * A copy of a message with every voucher code masked (`voucher.code` and `voucherCode` at any
 * depth) and every value of a person's data (`recipient`, `customer`) masked, for message
 * traces and anything else that leaves the transaction's own path.
 */
export function maskSensitive<T>(message: T): T {
  if (Array.isArray(message)) return message.map(maskSensitive) as T;
  if (message === null || typeof message !== 'object') return message;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    const isVoucher = key === 'voucher' && value !== null && typeof value === 'object';
    if (key === 'voucherCode' && typeof value === 'string') copy[key] = maskCode(value);
    else if (personal.has(key)) copy[key] = maskPersonal(value);
    else copy[key] = isVoucher ? maskVoucher(value as Record<string, unknown>) : maskSensitive(value);
  }
  return copy as T;
}

function maskVoucher(voucher: Record<string, unknown>): Record<string, unknown> {
  const masked = maskSensitive(voucher);
  return typeof voucher.code === 'string' ? { ...masked, code: maskCode(voucher.code) } : masked;
}

/** A person's data with its shape kept and its values hidden: two last characters of text, no numbers. */
function maskPersonal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPersonal);
  if (typeof value === 'string') return `${'*'.repeat(Math.max(0, value.length - 2))}${value.slice(-2)}`;
  if (typeof value === 'number') return '*';
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, maskPersonal(field)]));
}
