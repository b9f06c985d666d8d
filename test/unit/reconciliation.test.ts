import { describe, expect, it } from 'vitest';
import { csvRows } from '../../src/domain/csv';
import { ProviderFileError, parseSwitchCsv, writeSwitchCsv } from '../../src/domain/provider-files';
import { countOutcomes, type ProviderLine, reconcile, type SwitchRecord } from '../../src/domain/reconciliation';

const record = (switchReference: string, overrides: Partial<SwitchRecord> = {}): SwitchRecord => ({
  transactionId: `provision-22222222-${switchReference}`,
  switchReference,
  providerReference: `P-${switchReference}`,
  type: 'provision',
  amount: 1_000,
  state: 'CONFIRMED',
  inDay: true,
  ...overrides,
});
const line = (switchReference: string, overrides: Partial<ProviderLine> = {}): ProviderLine => ({
  line: 2,
  switchReference,
  providerReference: `P-${switchReference}`,
  type: 'provision',
  amount: 1_000,
  state: 'CONFIRMED',
  ...overrides,
});

describe('the matcher', () => {
  it('files every line and every transaction the provider should have as exactly one outcome', () => {
    const items = reconcile(
      [
        line('same'),
        line('dearer', { amount: 1_500 }),
        line('confirmed-there', { state: 'CONFIRMED' }),
        line('unknown-here'),
        line('same'), // a second line for one reference
        line('declined-here', { state: 'REVERSED' }),
      ],
      [
        record('same'),
        record('dearer'),
        record('confirmed-there', { state: 'REVERSED' }),
        record('missing-there'),
        record('declined-here', { state: 'DECLINED' }),
        // Never reached the provider: a decline, and a reversal before its request.
        record('declined-only-here', { state: 'DECLINED', providerReference: undefined }),
        record('early-reversal', { state: 'REVERSED', providerReference: undefined }),
        // Settled another day, named by no line: not this file's business.
        record('yesterday', { inDay: false }),
      ],
    );
    expect(items.map((item) => [item.switchReference, item.outcome])).toEqual([
      ['same', 'matched'],
      ['dearer', 'amount_differs'],
      ['confirmed-there', 'state_differs'],
      ['unknown-here', 'only_at_provider'],
      ['same', 'only_at_provider'],
      ['declined-here', 'matched'],
      ['missing-there', 'only_at_switch'],
    ]);
    expect(countOutcomes(items)).toEqual({
      matched: 2,
      amount_differs: 1,
      state_differs: 1,
      only_at_provider: 2,
      only_at_switch: 1,
    });
  });

  it('compares no states for a provider that takes no advices: it never learns of a confirmation or a reversal', () => {
    const lines = [line('issued', { state: 'PENDING' }), line('reversed-here', { state: 'PENDING', amount: 900 })];
    const records = [record('issued'), record('reversed-here', { state: 'REVERSED' })];
    expect(reconcile(lines, records, { statesKnown: false }).map((item) => item.outcome)).toEqual([
      'matched',
      'amount_differs',
    ]);
    expect(reconcile(lines, records).map((item) => item.outcome)).toEqual(['state_differs', 'state_differs']);
  });

  it('compares amounts only where both sides state one, and open states as open', () => {
    const items = reconcile(
      [line('no-amount', { amount: undefined }), line('pending', { state: 'PENDING' })],
      [record('no-amount'), record('pending', { state: 'APPROVED' })],
    );
    expect(items.map((item) => item.outcome)).toEqual(['matched', 'matched']);
  });
});

describe('switch-csv files', () => {
  it('read back what they were written as, quotes and all', () => {
    const lines = [
      {
        switchReference: 'a,b',
        providerReference: 'say "hi"',
        type: 'provision' as const,
        amount: 5_000,
        state: 'CONFIRMED' as const,
        time: '2026-11-30T10:00:00.000Z',
      },
      { switchReference: 'c', type: 'redemption' as const, state: 'PENDING' as const },
    ];
    expect(parseSwitchCsv(writeSwitchCsv(lines))).toEqual([
      { line: 2, ...lines[0] },
      { line: 3, ...lines[1], providerReference: undefined, amount: undefined, time: undefined },
    ]);
    expect(csvRows('x,"y\r\nz"\r\n')).toEqual([['x', 'y\r\nz']]);
  });

  it('take the columns in any order, and refuse a file with every bad line named', () => {
    expect(
      parseSwitchCsv('state,type,switch_reference,amount,time,provider_reference\nREVERSED,refund,r1,,,\n'),
    ).toEqual([
      {
        line: 2,
        switchReference: 'r1',
        type: 'refund',
        state: 'REVERSED',
        providerReference: undefined,
        amount: undefined,
        time: undefined,
      },
    ]);
    const bad =
      'switch_reference,provider_reference,type,amount,state,time\n,x,provision,1,CONFIRMED,\nr2,x,sale,1,CONFIRMED,\nr3,x,provision,1.5,CONFIRMED,\nr4,x,provision,1,LOST,\nr5,x,provision,0x1F,CONFIRMED,\nr6,x\u0000,provision,1,CONFIRMED,\n';
    expect(() => parseSwitchCsv(bad)).toThrow(ProviderFileError);
    try {
      parseSwitchCsv(bad);
    } catch (error) {
      expect((error as ProviderFileError).problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7]);
    }
    expect(() => parseSwitchCsv('reference,amount\n')).toThrow(/line 1: the header lacks switch_reference/);
  });
});
