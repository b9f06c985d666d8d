import { describe, expect, it } from 'vitest';
import {
  answerRepeatedSubmission,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  type Phase,
  retryNotSupported,
} from '../../src/domain/lifecycle';
import { providerProfiles } from '../../src/domain/providers';

const advice = { id: 'advice-1', requestId: 'request-1' };
const provisioned = { status: 201, body: { id: 'request-1', voucher: { code: '1234' } } };
const at = (phase: Phase, extra: Partial<Lifecycle> = {}): Lifecycle => ({
  phase,
  answer: provisioned,
  advices: [],
  ...extra,
});

describe('decideConfirm', () => {
  it('accepts a confirmation of a provisioned voucher and settles it', () => {
    expect(decideConfirm('provision', at('APPROVED'), advice)).toEqual({
      accept: true,
      settle: true,
      answer: { status: 202, body: advice },
    });
  });

  it('accepts a repeated confirmation without settling again', () => {
    expect(decideConfirm('provision', at('CONFIRMED'), advice)).toMatchObject({ accept: true, settle: false });
  });

  it('refuses a confirmation after a reversal with VOUCHER_ALREADY_REVERSED, naming both ids', () => {
    const reversed = at('REVERSED', { advices: [{ kind: 'reverse', id: 'rev-1', origin: 'channel', saf: 'pending' }] });
    expect(decideConfirm('provision', reversed, advice)).toEqual({
      accept: false,
      remember: false,
      answer: {
        status: 400,
        body: {
          id: 'advice-1',
          originalId: 'request-1',
          errorType: 'VOUCHER_ALREADY_REVERSED',
          errorMessage: expect.any(String),
          detailMessage: { reversalId: 'rev-1' },
        },
      },
    });
  });

  it('answers 404 for a request the switch never provisioned', () => {
    for (const phase of ['AWAITING_REQUEST', 'DECLINED'] as const) {
      expect(decideConfirm('provision', at(phase), advice).answer).toMatchObject({
        status: 404,
        body: { errorType: 'UNABLE_TO_LOCATE_RECORD' },
      });
    }
  });
});

describe('decideReverse', () => {
  it('accepts a reversal of a provisioned voucher, and a repeated one without settling again', () => {
    expect(decideReverse('provision', at('APPROVED'), advice)).toMatchObject({ accept: true, settle: true });
    expect(decideReverse('provision', at('REVERSED'), advice)).toMatchObject({ accept: true, settle: false });
  });

  it('refuses a reversal after a confirmation with VOUCHER_ALREADY_CONFIRMED', () => {
    expect(decideReverse('provision', at('CONFIRMED'), advice).answer).toMatchObject({
      status: 400,
      body: { id: 'advice-1', originalId: 'request-1', errorType: 'VOUCHER_ALREADY_CONFIRMED' },
    });
  });

  it('remembers a reversal for an unseen request once, answering 404', () => {
    const unseen = { phase: 'AWAITING_REQUEST' as const, advices: [] };
    expect(decideReverse('provision', unseen, advice)).toMatchObject({
      accept: false,
      remember: true,
      answer: { status: 404 },
    });
    expect(decideReverse('provision', { ...unseen, earlyReversalId: 'x' }, advice)).toMatchObject({ remember: false });
  });
});

describe('answerRepeatedSubmission', () => {
  it('answers a repeated provision with DUPLICATE_RECORD and the original voucher, a retry with the original', () => {
    expect(answerRepeatedSubmission('provision', at('CONFIRMED'), 'request-1', 'request')).toEqual({
      status: 400,
      body: {
        id: 'request-1',
        errorType: 'DUPLICATE_RECORD',
        errorMessage: expect.any(String),
        detailMessage: { voucher: { code: '1234' } },
      },
    });
    expect(answerRepeatedSubmission('provision', at('CONFIRMED'), 'request-1', 'retry')).toBe(provisioned);
  });

  it('refuses a request whose reversal came first, naming the reversal', () => {
    const unseen: Lifecycle = { phase: 'AWAITING_REQUEST', earlyReversalId: 'rev-9', advices: [] };
    for (const mode of ['request', 'retry'] as const) {
      expect(answerRepeatedSubmission('provision', unseen, 'request-1', mode)).toMatchObject({
        status: 400,
        body: { id: 'request-1', originalId: 'rev-9', errorType: 'VOUCHER_ALREADY_REVERSED' },
      });
    }
  });
});

describe('retryNotSupported', () => {
  it('is a hard decline naming the provider', () => {
    expect(retryNotSupported('request-1', providerProfiles.netcare)).toMatchObject({
      status: 404,
      body: { id: 'request-1', errorType: 'FUNCTION_NOT_SUPPORTED' },
    });
  });
});
