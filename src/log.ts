import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Voucher codes and credentials are redacted wherever they appear in a
 * logged object, so a careless log line cannot leak them.
 */
export function createLogger(level: string, component: string): Logger {
  return pino({
    level,
    base: { component },
    redact: {
      paths: [
        '*.voucher.code',
        'voucher.code',
        '*.voucherCode',
        'voucherCode',
        '*.password',
        'password',
        '*.authorization',
        'authorization',
      ],
      censor: '[redacted]',
    },
  });
}
