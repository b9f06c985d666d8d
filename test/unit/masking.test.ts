import { describe, expect, it } from 'vitest';
import { maskCode, maskVoucherCodes } from '../../src/domain/masking';

describe('maskVoucherCodes', () => {
  it('masks every voucher code, at any depth, and leaves the rest alone', () => {
    const message = {
      id: 'abc',
      voucher: { code: '9164972929944752', serialNumber: '123' },
      detailMessage: { voucher: { code: '272516728292' } },
      list: [{ voucher: { code: '5' } }],
    };
    expect(maskVoucherCodes(message)).toEqual({
      id: 'abc',
      voucher: { code: '************4752', serialNumber: '123' },
      detailMessage: { voucher: { code: '********8292' } },
      list: [{ voucher: { code: '*' } }],
    });
    expect(message.voucher.code).toBe('9164972929944752');
  });

  it('never shows more than half of a short code', () => {
    expect(maskCode('1234')).toBe('**34');
    expect(maskCode('12345678')).toBe('******78');
  });
});
