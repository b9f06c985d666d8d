import { describe, expect, it } from 'vitest';
import { adviceRows, traceRows, transactionRow } from '../../src/activities/reporting';
import type { LegTrace } from '../../src/domain/provider-protocol';
import { revisionAfter, type TransactionReport } from '../../src/domain/report';
import { approvedProvision } from '../helpers/fixtures';

const code = '9876543210987654';
const masked = '************7654';

const leg = (url: string, request: unknown, response: unknown): LegTrace => ({
  method: 'POST',
  url,
  request,
  status: 200,
  response,
  startedAt: '2024-05-01T10:00:00.100Z',
  durationMs: 40,
});

/** A provision answered, confirmed by the channel and delivered, and reversed by the switch, still pending. */
function report(changes: Partial<TransactionReport> = {}): TransactionReport {
  return {
    type: 'provision',
    transactionId: 'provision-22222222-req-1',
    channelId: '22222222',
    channelPath: '/suv/v1/vouchers',
    request: { id: 'req-1', product: { productId: 'flash-1' } },
    receivedAt: '2024-05-01T10:00:00.000Z',
    answeredAt: '2024-05-01T10:00:00.250Z',
    provider: 'flash',
    voucherCode: code,
    voucherKey: 'hash',
    providerLeg: leg('http://flash/provision', { reference: 'sw-1' }, { voucher: { code } }),
    lifecycle: {
      phase: 'CONFIRMED',
      answer: approvedProvision({ code, serialNumber: 'S1' }, 'req-1'),
      advices: [
        {
          kind: 'confirm',
          id: 'adv-1',
          origin: 'channel',
          saf: 'delivered',
          acceptedAt: '2024-05-01T10:00:01.000Z',
          attempts: 2,
          settledAt: '2024-05-01T10:00:03.000Z',
          trace: leg('http://flash/confirm', { id: 'adv-1' }, {}),
        },
        { kind: 'reverse', id: 'adv-2', origin: 'switch', reason: 'TIMEOUT', saf: 'pending' },
      ],
    },
    ...changes,
  };
}

describe('transactionRow', () => {
  it('keeps the voucher code only masked, beside its keyed hash', () => {
    expect(transactionRow(report())).toMatchObject({
      id: 'provision-22222222-req-1',
      messageId: 'req-1',
      state: 'CONFIRMED',
      httpStatus: 201,
      voucherCodeMasked: masked,
      voucherKey: 'hash',
    });
    expect(JSON.stringify(transactionRow(report()))).not.toContain(code);
  });

  it('records a transaction not answered yet with status 0', () => {
    const unanswered = report({ voucherCode: undefined, lifecycle: { phase: 'AWAITING_REQUEST', advices: [] } });
    expect(transactionRow(unanswered)).toMatchObject({ httpStatus: 0, voucherCodeMasked: undefined });
  });
});

describe('traceRows', () => {
  it('has the channel leg, the request to the provider and each delivered advice, codes masked', () => {
    const rows = traceRows(report());
    expect(rows.map((r) => [r.leg, r.operation])).toEqual([
      ['channel', 'provision'],
      ['provider', 'provision'],
      ['provider', 'confirm'],
    ]);
    expect(rows[0]).toMatchObject({ url: '/suv/v1/vouchers', status: 201, durationMs: 250 });
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(JSON.stringify(rows)).toContain(masked);
  });
});

describe('adviceRows', () => {
  it('gives every advice its store-and-forward state and the transaction provider', () => {
    expect(adviceRows(report())).toEqual([
      expect.objectContaining({ adviceId: 'adv-1', kind: 'confirm', saf: 'delivered', attempts: 2, provider: 'flash' }),
      expect.objectContaining({ adviceId: 'adv-2', origin: 'switch', reason: 'TIMEOUT', saf: 'pending', attempts: 0 }),
    ]);
  });

  it('dates an advice without its acceptance time by the request', () => {
    expect(adviceRows(report())[1]?.acceptedAt).toBe('2024-05-01T10:00:00.000Z');
  });
});

describe('revisionAfter', () => {
  it('orders the writes of one workflow task, and of each task after the one before', () => {
    const first = revisionAfter(0, 3);
    const second = revisionAfter(first, 3);
    expect(second).toBeGreaterThan(first);
    expect(revisionAfter(second, 9)).toBeGreaterThan(second);
  });

  it('ranks a task run again after its worker was lost above every write of the lost attempt', () => {
    // The lost attempt ran at history 3 and wrote several times (a reversal, its advice); the
    // history then recorded the task's timeout, and the task ran again at history 6.
    let lost = 0;
    for (let write = 0; write < 5; write++) lost = revisionAfter(lost, 3);
    expect(revisionAfter(0, 6)).toBeGreaterThan(lost);
  });

  it('keeps counting up from revisions written before it was history-based', () => {
    expect(revisionAfter(2, 12)).toBeGreaterThan(2);
    expect(revisionAfter(1_300, 12)).toBe(1_301);
  });
});
