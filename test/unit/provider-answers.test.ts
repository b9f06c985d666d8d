import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyAnswer, type Exchange } from '../../src/providers/http-provider';

const confirmation: Exchange = { kind: 'advice', reversal: false };
const reversal: Exchange = { kind: 'advice', reversal: true };
const provision: Exchange = { kind: 'request', body: z.object({ providerReference: z.string() }) };

describe('classifyAnswer', () => {
  it.each([
    [200, { id: 'a' }],
    [202, undefined],
    [204, undefined],
    [299, 'not json at all'],
  ])('takes any %i as a delivered advice, whatever its body', (status, body) => {
    expect(classifyAnswer(status, body, confirmation)).toMatchObject({ ok: true });
  });

  it('takes 404 as a delivered reversal (the provider never had the request), not as a delivered confirmation', () => {
    const unknown = { code: 'UNKNOWN_TRANSACTION', message: 'no such request' };
    expect(classifyAnswer(404, unknown, reversal)).toMatchObject({ ok: true });
    expect(classifyAnswer(404, unknown, confirmation)).toMatchObject({
      ok: false,
      failure: { kind: 'declined', code: 'UNKNOWN_TRANSACTION' },
    });
  });

  it.each([408, 409, 425, 429])('takes %i as "not now", never as a refusal, even with a reason', (status) => {
    const answer = classifyAnswer(status, { code: 'TRY_LATER' }, confirmation);
    expect(answer).toMatchObject({ ok: false, failure: { kind: 'unavailable' } });
  });

  it('takes a 4xx without a reason code, or with a code that is not one, as an open outcome', () => {
    for (const body of [undefined, 'Bad Request', { message: 'no code' }, { code: 'lower case' }, { code: 7 }]) {
      expect(classifyAnswer(400, body, confirmation)).toMatchObject({ ok: false, failure: { kind: 'error' } });
    }
  });

  it('takes a 4xx with a reason code as a definite refusal', () => {
    expect(classifyAnswer(400, { code: 'INVALID_STATE', message: 'settled' }, confirmation)).toEqual({
      ok: false,
      failure: { kind: 'declined', code: 'INVALID_STATE', message: 'settled' },
    });
  });

  it('takes 5xx as an open outcome, and 503 as the provider being unavailable', () => {
    expect(classifyAnswer(500, { code: 'X' }, provision)).toMatchObject({ ok: false, failure: { kind: 'error' } });
    expect(classifyAnswer(503, undefined, provision)).toMatchObject({ ok: false, failure: { kind: 'unavailable' } });
  });

  it('takes an approval only with the body the protocol names; otherwise its outcome is open', () => {
    expect(classifyAnswer(201, { providerReference: 'P-1' }, provision)).toEqual({
      ok: true,
      value: { providerReference: 'P-1' },
    });
    for (const body of [undefined, {}, 'voucher', { providerReference: 7 }]) {
      expect(classifyAnswer(201, body, provision)).toMatchObject({ ok: false, failure: { kind: 'error' } });
    }
  });
});
