import { describe, expect, it } from 'vitest';
import { maskCode, maskSensitive } from '../../src/domain/masking';

describe('maskSensitive', () => {
  it('masks every voucher code, at any depth, and leaves the rest alone', () => {
    const message = {
      id: 'abc',
      voucher: { code: '9164972929944752', serialNumber: '123' },
      detailMessage: { voucher: { code: '272516728292' } },
      list: [{ voucher: { code: '5' } }],
    };
    expect(maskSensitive(message)).toEqual({
      id: 'abc',
      voucher: { code: '************4752', serialNumber: '123' },
      detailMessage: { voucher: { code: '********8292' } },
      list: [{ voucher: { code: '*' } }],
    });
    expect(message.voucher.code).toBe('9164972929944752');
  });

  it("masks a person's data, whatever its shape: names, phone numbers, e-mail addresses", () => {
    const message = {
      id: 'abc',
      recipient: { name: 'Thandi Nkosi', msisdn: '+27821234567', email: 'thandi@example.com', age: 31 },
      customer: { contacts: ['0821234567'] },
    };
    expect(maskSensitive(message)).toEqual({
      id: 'abc',
      recipient: { name: '**********si', msisdn: '**********67', email: '****************om', age: '*' },
      customer: { contacts: ['********67'] },
    });
  });

  it('never shows more than half of a short code', () => {
    expect(maskCode('1234')).toBe('**34');
    expect(maskCode('12345678')).toBe('******78');
  });
});
