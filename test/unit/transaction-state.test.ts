import { assert, describe, expect, it } from 'vitest';
import { isProvisionAnswer } from '../../src/contract/answers';
import { provisionRequest } from '../../src/contract/provision';
import { redemptionRequest } from '../../src/contract/voucher-use';
import { type AdviceTarget, pendingAdvice, providerAdvice } from '../../src/domain/advices';
import { isUnsettled, newLifecycle, reversedBeforeItsRequest, settle } from '../../src/domain/lifecycle';
import { capabilitiesOf, providerProfiles } from '../../src/domain/providers';
import { answerProvision, type ProvisionInput } from '../../src/domain/provision';
import { provisionReport, useReport } from '../../src/domain/report';
import type { UseInput } from '../../src/domain/use';
import { voucherRecordOf } from '../../src/domain/voucher';
import { makeProvisionRequest, makeRedemptionRequest } from '../helpers/fixtures';

const at = new Date('2026-01-01T00:00:05.000Z');

const target: AdviceTarget = {
  type: 'redemption',
  provider: 'flash',
  supportsAdvices: true,
  deadlineMs: 1000,
  requestReference: 'SW-9',
  channelMessageId: 'message-9',
};

const provisionInput = (): ProvisionInput => ({
  transactionId: 'provision-22222222-x',
  switchReference: 'SW-1',
  channelId: '22222222',
  messaging: 'dual',
  provider: 'ott',
  capabilities: { supportsAdvices: true, supportsRetries: true, supportsRedemption: true },
  deadlineMs: 1000,
  settleAfterMs: 60_000,
  switchInstitution: { id: '33333333', name: 'Voucher Switch' },
  providerInstitution: providerProfiles.ott.institution,
  request: provisionRequest.parse(makeProvisionRequest()),
  receivedAt: '2026-01-01T00:00:00.000Z',
});

describe('a transaction settles once', () => {
  it('starts awaiting its request, with no advices', () => {
    expect(newLifecycle()).toEqual({ phase: 'AWAITING_REQUEST', advices: [] });
  });

  it('is unsettled only while in flight or approved', () => {
    expect(['IN_FLIGHT', 'APPROVED'].filter((phase) => isUnsettled({ phase: phase as 'APPROVED' }))).toHaveLength(2);
    for (const phase of ['AWAITING_REQUEST', 'DECLINED', 'CONFIRMED', 'REVERSED'] as const) {
      expect(isUnsettled({ phase })).toBe(false);
    }
  });

  it('records a reversal as pending store-and-forward from the moment it was accepted, and is reversed', () => {
    const state = { ...newLifecycle(), phase: 'APPROVED' as const };
    const advice = settle(state, { kind: 'reverse', id: 'rev-1', origin: 'switch', reason: 'TIMEOUT' }, at);
    expect(state.phase).toBe('REVERSED');
    expect(state.advices).toEqual([advice]);
    expect(advice).toEqual({
      kind: 'reverse',
      id: 'rev-1',
      origin: 'switch',
      reason: 'TIMEOUT',
      saf: 'pending',
      acceptedAt: '2026-01-01T00:00:05.000Z',
    });
  });

  it('is settled for good when only its reversal came, and was remembered', () => {
    expect(reversedBeforeItsRequest({ ...newLifecycle(), earlyReversalId: 'rev-0' })).toBe(true);
    expect(reversedBeforeItsRequest(newLifecycle())).toBe(false);
    expect(reversedBeforeItsRequest({ phase: 'REVERSED', earlyReversalId: 'rev-0' })).toBe(false);
  });

  it('is confirmed by a confirmation', () => {
    const state = { ...newLifecycle(), phase: 'APPROVED' as const };
    settle(state, { kind: 'confirm', id: 'conf-1', origin: 'channel' }, at);
    expect(state.phase).toBe('CONFIRMED');
  });
});

describe('advices to the provider', () => {
  it('names the request by the switch reference and the channel message it came with', () => {
    expect(providerAdvice(target, { id: 'adv-1', reason: 'CANCELLED' })).toEqual({
      id: 'adv-1',
      requestId: 'SW-9',
      channelMessageId: 'message-9',
      reason: 'CANCELLED',
    });
  });

  it('keeps a pending advice with the operation of its transaction type', () => {
    expect(pendingAdvice(target, { kind: 'confirm', id: 'adv-2' })).toMatchObject({
      operation: 'confirmRedeem',
      id: 'adv-2',
    });
    expect(pendingAdvice({ ...target, type: 'refund' }, { kind: 'reverse', id: 'adv-3' })?.operation).toBe(
      'reverseRefund',
    );
  });

  it('keeps none for a provider that takes no advices, or when there is no advice', () => {
    expect(pendingAdvice({ ...target, supportsAdvices: false }, { kind: 'confirm', id: 'adv-4' })).toBeUndefined();
    expect(pendingAdvice(target, undefined)).toBeUndefined();
  });
});

describe('reports and records', () => {
  const issued = { providerReference: 'P-1', voucher: { code: '1234567890123456', serialNumber: 'S-1' } };

  it('reports a provision with the voucher the provider issued and its amount', () => {
    const input = provisionInput();
    const attempt = { ok: true as const, value: issued, voucherKey: 'key-1', trace: undefined as never };
    const lifecycle = { ...newLifecycle(), phase: 'APPROVED' as const };
    const report = provisionReport(input, attempt, lifecycle, 'run-1');
    expect(report).toMatchObject({
      type: 'provision',
      transactionId: input.transactionId,
      runId: 'run-1',
      channelPath: '/suv/v1/vouchers',
      provider: 'ott',
      switchReference: 'SW-1',
      providerReference: 'P-1',
      voucherCode: '1234567890123456',
      voucherKey: 'key-1',
      voucherSerialNumber: 'S-1',
      lifecycle,
    });
    expect(report.amount?.currency).toBe(input.request.amounts?.requestAmount?.currency);
  });

  it('reports a declined redemption without a provider reference, and the voucher once claimed', () => {
    const input: UseInput = {
      type: 'redemption',
      transactionId: 'redemption-22222222-y',
      switchReference: 'SW-2',
      channelId: '22222222',
      messaging: 'dual',
      voucherKey: 'key-1',
      deadlinesMs: {} as UseInput['deadlinesMs'],
      settleAfterMs: 60_000,
      switchInstitution: { id: '33333333', name: 'Voucher Switch' },
      request: redemptionRequest.parse(makeRedemptionRequest('1234567890123456')),
      receivedAt: '2026-01-01T00:00:00.000Z',
    };
    const declined = { ...newLifecycle(), phase: 'DECLINED' as const };
    const report = useReport(input, declined, undefined, 'run-2');
    expect(report).toMatchObject({ type: 'redemption', channelPath: '/suv/v1/redemptions', voucherKey: 'key-1' });
    expect(report.providerReference).toBeUndefined();
    expect(report.provider).toBeUndefined();
  });

  it('keeps a voucher as the channel was answered, with the confirmation its provider must have first', () => {
    const input = provisionInput();
    const answer = answerProvision(input, { ok: true, value: issued });
    assert(isProvisionAnswer(answer), 'approved');
    const pending = pendingAdvice({ ...target, type: 'provision' }, { kind: 'confirm', id: 'conf-1' });
    const record = voucherRecordOf(input, answer, 'key-1', pending, capabilitiesOf(providerProfiles.ott));
    expect(record).toMatchObject({
      key: 'key-1',
      provider: 'ott',
      voucher: { code: '1234567890123456', serialNumber: 'S-1' },
      receiver: answer.body.receiver,
      settlementEntity: answer.body.settlementEntity,
      provision: { channelId: '22222222', requestId: input.request.id, switchReference: 'SW-1' },
      state: 'REDEEMABLE',
      pendingAdvices: [{ operation: 'confirm', id: 'conf-1' }],
    });
  });
});
