import { describe, expect, it } from 'vitest';
import type { ErrorAnswer } from '../../src/contract/answers';
import {
  adviceOperations,
  answerRepeatedSubmission,
  decideConfirm,
  decideReverse,
  type Lifecycle,
  type Phase,
  retryNotSupported,
} from '../../src/domain/lifecycle';
import { providerProfiles } from '../../src/domain/providers';
import { approvedProvision, approvedUse } from '../helpers/fixtures';

const advice = { id: 'advice-1', requestId: 'request-1' };
const provisioned = approvedProvision({ code: '1234' }, 'request-1');
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

  it('never hands out a voucher since reversed: a retry gets VOUCHER_ALREADY_REVERSED with the reversal', () => {
    for (const origin of ['channel', 'switch'] as const) {
      const reversed = at('REVERSED', { advices: [{ kind: 'reverse', id: 'rev-2', origin, saf: 'delivered' }] });
      expect(answerRepeatedSubmission('provision', reversed, 'request-1', 'retry')).toEqual({
        status: 400,
        body: {
          id: 'request-1',
          originalId: 'rev-2',
          errorType: 'VOUCHER_ALREADY_REVERSED',
          errorMessage: expect.any(String),
        },
      });
    }
  });

  it('answers a retry of a transaction that failed at the provider with the original error', () => {
    const failed: ErrorAnswer = {
      status: 504,
      body: { id: 'request-1', errorType: 'GENERAL_ERROR', errorMessage: 'late' },
    };
    const reversed = at('REVERSED', {
      answer: failed,
      advices: [{ kind: 'reverse', id: 'rev-3', origin: 'switch', saf: 'pending' }],
    });
    expect(answerRepeatedSubmission('provision', reversed, 'request-1', 'retry')).toBe(failed);
  });

  it('gives no voucher with a duplicate when the channel was told an error in its place', () => {
    const told: ErrorAnswer = {
      status: 504,
      body: { id: 'request-1', errorType: 'GENERAL_ERROR', errorMessage: 'late' },
    };
    const abandoned = at('REVERSED', {
      channelError: told,
      advices: [{ kind: 'reverse', id: 'rev-4', origin: 'switch', saf: 'pending' }],
    });
    const duplicate = answerRepeatedSubmission('provision', abandoned, 'request-1', 'request');
    expect(duplicate).toMatchObject({ status: 400, body: { errorType: 'DUPLICATE_RECORD' } });
    expect(duplicate.body).not.toHaveProperty('detailMessage');
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

describe('redemption and refund advices', () => {
  const redeemed = approvedUse('1234', 'request-1');
  const use = (phase: Phase, extra: Partial<Lifecycle> = {}): Lifecycle => at(phase, { answer: redeemed, ...extra });

  it.each(['redemption', 'refund'] as const)('a confirmation of an approved %s settles it', (type) => {
    expect(decideConfirm(type, use('APPROVED'), advice)).toEqual({
      accept: true,
      settle: true,
      answer: { status: 202, body: advice },
    });
  });

  it.each([
    ['redemption', 'CONFIRMED', 'VOUCHER_NOT_REDEEMED'],
    ['redemption', 'REVERSED', 'VOUCHER_NOT_REDEEMED'],
    ['redemption', 'DECLINED', 'VOUCHER_NOT_REDEEMED'],
    ['refund', 'CONFIRMED', 'VOUCHER_NOT_REFUNDED'],
    ['refund', 'REVERSED', 'VOUCHER_NOT_REFUNDED'],
    ['refund', 'DECLINED', 'VOUCHER_NOT_REFUNDED'],
  ] as const)('refuses a confirmation of a %s in %s with 400 %s', (type, phase, errorType) => {
    expect(decideConfirm(type, use(phase), advice)).toEqual({
      accept: false,
      remember: false,
      answer: {
        status: 400,
        body: { id: 'advice-1', originalId: 'request-1', errorType, errorMessage: expect.any(String) },
      },
    });
  });

  it.each([
    ['redemption', 'REDEMPTION_ALREADY_CONFIRMED'],
    ['refund', 'REFUND_ALREADY_CONFIRMED'],
  ] as const)('refuses a reversal of a confirmed %s with 400 %s', (type, errorType) => {
    const confirmed = use('CONFIRMED', {
      advices: [{ kind: 'confirm', id: 'conf-1', origin: 'channel', saf: 'pending' }],
    });
    expect(decideReverse(type, confirmed, advice)).toMatchObject({
      accept: false,
      remember: false,
      answer: { status: 400, body: { id: 'advice-1', originalId: 'request-1', errorType } },
    });
  });

  it.each([
    ['redemption', 'APPROVED', true],
    ['redemption', 'REVERSED', false],
    ['redemption', 'DECLINED', false],
    ['refund', 'APPROVED', true],
    ['refund', 'REVERSED', false],
    ['refund', 'DECLINED', false],
  ] as const)('accepts a reversal of a %s in %s (settles: %s)', (type, phase, settle) => {
    expect(decideReverse(type, use(phase), advice)).toEqual({
      accept: true,
      settle,
      answer: { status: 202, body: advice },
    });
  });

  it.each([
    ['redemption', 'confirm'],
    ['redemption', 'reverse'],
    ['refund', 'confirm'],
    ['refund', 'reverse'],
  ] as const)('answers 404 UNABLE_TO_LOCATE_RECORD to a %s %s for an unknown request', (type, kind) => {
    const unseen: Lifecycle = { phase: 'AWAITING_REQUEST', advices: [] };
    const decide = kind === 'confirm' ? decideConfirm : decideReverse;
    expect(decide(type, unseen, advice)).toMatchObject({
      accept: false,
      remember: kind === 'reverse',
      answer: {
        status: 404,
        body: { id: 'advice-1', originalId: 'request-1', errorType: 'UNABLE_TO_LOCATE_RECORD' },
      },
    });
  });

  it.each([
    ['redemption', 'request', 'REDEMPTION_ALREADY_REVERSED'],
    ['redemption', 'retry', 'REDEMPTION_ALREADY_REVERSED'],
    ['refund', 'request', 'REFUND_ALREADY_REVERSED'],
    ['refund', 'retry', 'REFUND_ALREADY_REVERSED'],
  ] as const)('refuses a %s %s that arrives after its reversal with %s', (type, mode, errorType) => {
    const unseen: Lifecycle = { phase: 'AWAITING_REQUEST', earlyReversalId: 'rev-9', advices: [] };
    expect(answerRepeatedSubmission(type, unseen, 'request-1', mode)).toEqual({
      status: 400,
      body: { id: 'request-1', originalId: 'rev-9', errorType, errorMessage: expect.any(String) },
    });
  });

  it.each(['redemption', 'refund'] as const)('answers a duplicate %s with DUPLICATE_RECORD and no voucher', (type) => {
    // Even an answer that carries a voucher is not echoed: only a provision's duplicate gets it.
    const answered = at('CONFIRMED', { answer: approvedProvision({ code: '1' }, 'request-1') });
    expect(answerRepeatedSubmission(type, answered, 'request-1', 'request')).toEqual({
      status: 400,
      body: { id: 'request-1', errorType: 'DUPLICATE_RECORD', errorMessage: expect.any(String) },
    });
    expect(answerRepeatedSubmission(type, use('CONFIRMED'), 'request-1', 'retry')).toBe(redeemed);
  });

  it('names the provider operation of each advice', () => {
    expect(adviceOperations.redemption.confirm).toBe('confirmRedeem');
    expect(adviceOperations.redemption.reverse).toBe('reverseRedeem');
    expect(adviceOperations.refund.confirm).toBe('confirmRefund');
    expect(adviceOperations.refund.reverse).toBe('reverseRefund');
  });
});
