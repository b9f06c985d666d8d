import { describe, expect, it } from 'vitest';
import { providerProfiles } from '../../src/domain/providers';
import {
  adviceSettled,
  applyUseOutcome,
  blockVoucher,
  type Claim,
  type ClaimAnswer,
  decideClaim,
  decideWithdrawal,
  holdVoucher,
  isIdle,
  type PendingAdvice,
  refusedClaimAnswer,
  type UseOutcome,
  unknownVoucher,
  type VoucherRecord,
  type VoucherState,
  type VoucherUse,
  voucherLookupAnswer,
  voucherWorkflowId,
} from '../../src/domain/voucher';

const flash = providerProfiles.flash;

const makeVoucher = (extra: Partial<VoucherRecord> = {}): VoucherRecord => ({
  key: 'k-1',
  provider: 'flash',
  voucher: { code: '1234567890123456', serialNumber: 'S-1', expiryDate: '2027-01-01' },
  product: { productId: 'P-1' },
  amounts: { value: 100 },
  receiver: { id: '70000009', name: 'Flash' },
  settlementEntity: { id: '33333333', name: 'Voucher Switch' },
  thirdPartyIdentifiers: [{ institutionId: '33333333', transactionIdentifier: 'SW-1' }],
  rrn: '000000000001',
  posInfo: { terminalId: 'T-1' },
  provision: { channelId: '22222222', requestId: 'prov-1', switchReference: 'SW-1' },
  state: 'REDEEMABLE',
  pendingAdvices: [],
  ...extra,
});

const claim = (use: VoucherUse, reference: string): Claim => ({ use, reference, workflowId: `${use}-${reference}` });
const outcome = (use: VoucherUse, reference: string, result: UseOutcome['outcome'], extra: Partial<UseOutcome> = {}) =>
  ({ use, reference, outcome: result, delivered: [], ...extra }) satisfies UseOutcome;
const pending = (id: string, operation: PendingAdvice['operation'] = 'confirmRedeem'): PendingAdvice => ({
  operation,
  id,
  requestId: `req-of-${id}`,
  channelMessageId: `msg-of-${id}`,
});

/** Claims, and if granted holds, the voucher; fails the test on a refusal. */
function take(voucher: VoucherRecord, c: Claim): VoucherRecord {
  const answer = decideClaim(voucher, c, flash);
  expect(answer).toEqual({ granted: true, voucher });
  return holdVoucher(voucher, c);
}

const held = (use: VoucherUse, reference: string, state: VoucherState) =>
  makeVoucher({ state, holder: { use, reference } });

describe('voucher life cycle', () => {
  it('goes redeemable → redeemed → redemption confirmed → refunded → redeemable again', () => {
    let v = makeVoucher();
    v = take(v, claim('redemption', 'R-1'));
    expect(v).toMatchObject({ state: 'REDEEMED', holder: { use: 'redemption', reference: 'R-1' } });
    v = applyUseOutcome(v, outcome('redemption', 'R-1', 'approved'));
    expect(v).toMatchObject({ state: 'REDEEMED', holder: { reference: 'R-1' } });
    v = applyUseOutcome(v, outcome('redemption', 'R-1', 'confirmed'));
    expect(v).toMatchObject({ state: 'REDEMPTION_CONFIRMED', holder: undefined, lastRedemption: 'R-1' });
    v = take(v, claim('refund', 'F-1'));
    expect(v).toMatchObject({ state: 'REFUNDED', holder: { use: 'refund', reference: 'F-1' } });
    v = applyUseOutcome(v, outcome('refund', 'F-1', 'approved'));
    v = applyUseOutcome(v, outcome('refund', 'F-1', 'confirmed'));
    expect(v).toMatchObject({ state: 'REDEEMABLE', holder: undefined });
    expect(isIdle(v)).toBe(true);
    take(v, claim('redemption', 'R-2'));
  });

  it.each<[VoucherUse, UseOutcome['outcome'], VoucherState, VoucherState]>([
    ['redemption', 'failed', 'REDEEMED', 'REDEEMABLE'],
    ['redemption', 'reversed', 'REDEEMED', 'REDEEMABLE'],
    ['refund', 'failed', 'REFUNDED', 'REDEMPTION_CONFIRMED'],
    ['refund', 'reversed', 'REFUNDED', 'REDEMPTION_CONFIRMED'],
  ])('a %s that %s gives the voucher back: %s → %s', (use, result, from, to) => {
    const v = applyUseOutcome(held(use, 'U-1', from), outcome(use, 'U-1', result));
    expect(v.state).toBe(to);
    expect(v.holder).toBeUndefined();
  });

  it('ignores the state change of an outcome from a use that does not hold the voucher, but records its advices', () => {
    const v = held('redemption', 'R-2', 'REDEEMED');
    v.pendingAdvices = [pending('a-1'), pending('a-2')];
    const after = applyUseOutcome(
      v,
      outcome('redemption', 'R-1', 'reversed', { advice: pending('a-3', 'reverseRedeem'), delivered: ['a-1'] }),
    );
    expect(after).toMatchObject({ state: 'REDEEMED', holder: { use: 'redemption', reference: 'R-2' } });
    expect(after.pendingAdvices.map((a) => a.id)).toEqual(['a-2', 'a-3']);
  });
});

describe('decideClaim', () => {
  it.each<[string, VoucherRecord, Claim, string]>([
    [
      'a second redemption while redeemed',
      held('redemption', 'R-1', 'REDEEMED'),
      claim('redemption', 'R-2'),
      'VOUCHER_ALREADY_REDEEMED',
    ],
    [
      'a redemption once confirmed',
      makeVoucher({ state: 'REDEMPTION_CONFIRMED' }),
      claim('redemption', 'R-2'),
      'VOUCHER_ALREADY_REDEEMED',
    ],
    [
      'a redemption while refunded',
      held('refund', 'F-1', 'REFUNDED'),
      claim('redemption', 'R-2'),
      'VOUCHER_ALREADY_REDEEMED',
    ],
    [
      'a redemption after expiry',
      makeVoucher({ state: 'EXPIRED' }),
      claim('redemption', 'R-2'),
      'VOUCHER_NOT_REDEEMABLE',
    ],
    [
      'a refund before the redemption is confirmed',
      held('redemption', 'R-1', 'REDEEMED'),
      claim('refund', 'F-1'),
      'REDEMPTION_NOT_CONFIRMED',
    ],
    [
      'a refund while one is pending',
      held('refund', 'F-1', 'REFUNDED'),
      claim('refund', 'F-2'),
      'VOUCHER_ALREADY_REFUNDED',
    ],
    ['a refund of an unredeemed voucher', makeVoucher(), claim('refund', 'F-1'), 'VOUCHER_NOT_REDEEMED'],
  ])('refuses %s with 400 %s', (_, voucher, c, errorType) => {
    const answer = decideClaim(voucher, c, flash);
    expect(answer.granted).toBe(false);
    expect(refusedClaimAnswer(answer as ClaimAnswer & { granted: false }, 'msg-9')).toEqual({
      status: 400,
      body: { id: 'msg-9', errorType, errorMessage: expect.any(String) },
    });
  });

  it.each<VoucherUse>(['redemption', 'refund'])(
    'refuses a %s at a provider without redemptions (400 FUNCTION_NOT_SUPPORTED)',
    (use) => {
      const answer = decideClaim(makeVoucher({ provider: 'betway' }), claim(use, 'U-1'), providerProfiles.betway);
      expect(answer).toMatchObject({ granted: false, kind: 'redemptionNotSupported' });
      expect(refusedClaimAnswer(answer as ClaimAnswer & { granted: false }, 'msg-1')).toMatchObject({
        status: 400,
        body: { id: 'msg-1', errorType: 'FUNCTION_NOT_SUPPORTED' },
      });
    },
  );

  it('refuses a redemption past the expiry date while the voucher still counts as redeemable', () => {
    const voucher = makeVoucher({ voucher: { code: '1234567890123456', expiryDate: '2027-01-01T00:00:00Z' } });
    const before = Date.parse('2026-12-31T23:59:59Z');
    const after = Date.parse('2027-01-01T00:00:00Z');
    expect(decideClaim(voucher, claim('redemption', 'R-1'), flash, before)).toMatchObject({ granted: true });
    expect(decideClaim(voucher, claim('redemption', 'R-1'), flash, after)).toMatchObject({
      granted: false,
      kind: 'voucherNotRedeemable',
      message: 'The voucher has expired.',
    });
  });

  it.each<[VoucherUse, VoucherState]>([
    ['redemption', 'REDEEMED'],
    ['refund', 'REFUNDED'],
  ])('grants a %s again to the holder that claims by its own reference', (use, state) => {
    const v = held(use, 'U-1', state);
    expect(decideClaim(v, claim(use, 'U-1'), flash)).toEqual({ granted: true, voucher: v });
    expect(holdVoucher(v, claim(use, 'U-1'))).toEqual(v);
  });

  it.each<[VoucherUse, string]>([
    ['redemption', 'VOUCHER_NOT_REDEEMABLE'],
    ['refund', 'VOUCHER_NOT_REDEEMED'],
  ])('refuses a %s of an unknown voucher with %s', (use, errorType) => {
    const answer = unknownVoucher(use);
    expect(answer.granted).toBe(false);
    expect(refusedClaimAnswer(answer as ClaimAnswer & { granted: false }, 'msg-2')).toMatchObject({
      status: 400,
      body: { id: 'msg-2', errorType },
    });
  });
});

describe('pending advices', () => {
  it('appends an outcome’s advice, drops the delivered ones, and settles by id', () => {
    let v = held('redemption', 'R-1', 'REDEEMED');
    v.pendingAdvices = [pending('old-1'), pending('old-2')];
    v = applyUseOutcome(v, outcome('redemption', 'R-1', 'confirmed', { advice: pending('c-1'), delivered: ['old-1'] }));
    expect(v.pendingAdvices.map((a) => a.id)).toEqual(['old-2', 'c-1']);
    v = adviceSettled(v, 'old-2');
    expect(v.pendingAdvices).toEqual([pending('c-1')]);
    expect(adviceSettled(v, 'nope').pendingAdvices).toEqual([pending('c-1')]);
  });

  it.each<[string, Partial<VoucherRecord>, boolean]>([
    ['free and with no advices', {}, true],
    ['held', { state: 'REDEEMED', holder: { use: 'redemption', reference: 'R-1' } }, false],
    ['with a pending advice', { pendingAdvices: [pending('a-1')] }, false],
  ])('isIdle when %s: %s', (_, extra, idle) => {
    expect(isIdle(makeVoucher(extra))).toBe(idle);
  });
});

describe('voucherLookupAnswer', () => {
  it('answers 200 with every detail it was given and the state', () => {
    const v = makeVoucher();
    const { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo } = v;
    const details = { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo };
    expect(voucherLookupAnswer(details, 'REDEMPTION_CONFIRMED')).toEqual({
      status: 200,
      body: { ...details, state: 'REDEMPTION_CONFIRMED' },
    });
  });
});

describe('voucherWorkflowId', () => {
  it('is derived from the voucher key', () => {
    expect(voucherWorkflowId('abc')).toBe('voucher-abc');
  });
});

describe('decideWithdrawal', () => {
  it('gives an unused voucher back to its reversed provision, with the confirmation it held', () => {
    const usable = makeVoucher({ withdrawable: true, pendingAdvices: [pending('conf-1', 'confirm')] });
    expect(decideWithdrawal(usable)).toEqual({
      granted: true,
      voucher: { ...usable, state: 'REVERSED', withdrawable: false, pendingAdvices: [] },
    });
  });

  it('refuses once the voucher was used, even when the use was reversed since', () => {
    const usable = makeVoucher({ withdrawable: true });
    const used = holdVoucher(usable, claim('redemption', 'R-1'));
    const givenBack = applyUseOutcome(used, outcome('redemption', 'R-1', 'reversed'));
    for (const voucher of [used, givenBack, makeVoucher()]) {
      expect(decideWithdrawal(voucher)).toMatchObject({ granted: false, kind: 'voucherAlreadyConfirmed' });
    }
    expect(givenBack.state).toBe('REDEEMABLE');
  });
});

describe('refunds belong to the redeeming channel', () => {
  const redeemedBy = (channelId: string) => {
    const held = holdVoucher(makeVoucher(), { ...claim('redemption', 'R-1'), channelId });
    return applyUseOutcome(held, outcome('redemption', 'R-1', 'confirmed'));
  };

  it('remembers the channel whose redemption was confirmed, and refunds only to it', () => {
    const voucher = redeemedBy('bank');
    expect(voucher).toMatchObject({ state: 'REDEMPTION_CONFIRMED', redeemedBy: 'bank', lastRedemption: 'R-1' });
    expect(decideClaim(voucher, { ...claim('refund', 'F-1'), channelId: 'shop' }, flash)).toMatchObject({
      granted: false,
      kind: 'voucherNotRedeemed',
    });
    expect(decideClaim(voucher, { ...claim('refund', 'F-1'), channelId: 'bank' }, flash)).toMatchObject({
      granted: true,
    });
  });

  it('forgets it once the refund is confirmed: the voucher is anyone’s to redeem again', () => {
    const refunding = holdVoucher(redeemedBy('bank'), { ...claim('refund', 'F-1'), channelId: 'bank' });
    const reversed = applyUseOutcome(refunding, outcome('refund', 'F-1', 'reversed'));
    expect(reversed).toMatchObject({ state: 'REDEMPTION_CONFIRMED', redeemedBy: 'bank' });
    const refunded = applyUseOutcome(refunding, outcome('refund', 'F-1', 'confirmed'));
    expect(refunded.state).toBe('REDEEMABLE');
    expect(refunded.redeemedBy).toBeUndefined();
  });
});

describe('a blocked voucher', () => {
  const blocking = { reason: 'stolen', by: 'ann', at: '2026-11-30T10:00:00.000Z' };

  it('is neither redeemed nor refunded, and is again once unblocked', () => {
    const blocked = blockVoucher(makeVoucher(), { ...blocking, blocked: true });
    expect(blocked.blocked).toEqual(blocking);
    const refusal = { granted: false, kind: 'voucherBlocked', message: 'The voucher is blocked.' };
    expect(decideClaim(blocked, claim('redemption', 'R-1'), flash)).toEqual(refusal);
    const redeemed = blockVoucher(makeVoucher({ state: 'REDEMPTION_CONFIRMED' }), { ...blocking, blocked: true });
    expect(decideClaim(redeemed, claim('refund', 'F-1'), flash)).toEqual(refusal);

    const unblocked = blockVoucher(blocked, { ...blocking, blocked: false });
    expect(unblocked).toEqual(makeVoucher());
    expect(decideClaim(unblocked, claim('redemption', 'R-1'), flash)).toMatchObject({ granted: true });
  });

  it('lets the use that already holds it finish', () => {
    const holding = blockVoucher(held('redemption', 'R-1', 'REDEEMED'), { ...blocking, blocked: true });
    expect(decideClaim(holding, claim('redemption', 'R-1'), flash)).toMatchObject({ granted: true });
  });
});
