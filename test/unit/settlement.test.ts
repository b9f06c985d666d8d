import { describe, expect, it } from 'vitest';
import {
  businessDayOf,
  businessDayWindow,
  cutoffSeconds,
  lastClosedDay,
  nextDay,
  type SettledTransaction,
  settlementCsv,
  settlementFigures,
} from '../../src/domain/settlement';

const johannesburg = { cutoff: '00:00', timeZone: 'Africa/Johannesburg' }; // UTC+2, no DST
const afternoon = { cutoff: '17:00', timeZone: 'Africa/Johannesburg' };

describe('business days', () => {
  it('at a midnight cut-off, are the local calendar day', () => {
    expect(businessDayOf(new Date('2026-11-30T21:59:59Z'), johannesburg)).toBe('2026-11-30');
    expect(businessDayOf(new Date('2026-11-30T22:00:00Z'), johannesburg)).toBe('2026-12-01');
    expect(businessDayWindow('2026-12-01', johannesburg)).toEqual({
      from: new Date('2026-11-30T22:00:00Z'),
      to: new Date('2026-12-01T22:00:00Z'),
    });
  });

  it('at a later cut-off, give what happens from it on to the next day', () => {
    expect(businessDayOf(new Date('2026-11-30T14:59:59Z'), afternoon)).toBe('2026-11-30');
    expect(businessDayOf(new Date('2026-11-30T15:00:00Z'), afternoon)).toBe('2026-12-01');
    expect(businessDayWindow('2026-12-01', afternoon)).toEqual({
      from: new Date('2026-11-30T15:00:00Z'),
      to: new Date('2026-12-01T15:00:00Z'),
    });
  });

  it('follow daylight saving time where the zone has it', () => {
    const london = { cutoff: '00:00', timeZone: 'Europe/London' };
    // The clocks went forward on 2026-03-29: that day has 23 hours.
    const { from, to } = businessDayWindow('2026-03-29', london);
    expect(from.toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(to.toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(businessDayOf(new Date('2026-03-29T23:30:00Z'), london)).toBe('2026-03-30');
  });

  it('every instant is in the window of its own business day, and in no other', () => {
    const newYork = { cutoff: '06:30:15', timeZone: 'America/New_York' };
    // Cut-offs inside the hour the clocks skip (2026-03-08) and repeat (2026-11-01) in New York.
    const skipped = { cutoff: '02:30', timeZone: 'America/New_York' };
    const repeated = { cutoff: '01:30', timeZone: 'America/New_York' };
    for (const settings of [johannesburg, afternoon, newYork, skipped, repeated]) {
      for (const start of ['2026-03-07T00:00:00Z', '2026-10-31T00:00:00Z']) {
        for (let minute = 0; minute < 72 * 60; minute += 10) {
          const instant = new Date(Date.parse(start) + minute * 60_000 + 17_000);
          const day = businessDayOf(instant, settings);
          const { from, to } = businessDayWindow(day, settings);
          expect(from <= instant && instant < to, `${instant.toISOString()} in ${day}`).toBe(true);
          expect(businessDayWindow(nextDay(day), settings).from).toEqual(to);
        }
      }
    }
  });

  it('every instant is in the window of its own business day, and in no other, far from any change', () => {
    for (const settings of [johannesburg, afternoon, { cutoff: '06:30:15', timeZone: 'America/New_York' }]) {
      for (let hour = 0; hour < 72; hour += 1) {
        const instant = new Date(Date.parse('2026-03-07T00:00:00Z') + hour * 3_600_000 + 17_000);
        const day = businessDayOf(instant, settings);
        const { from, to } = businessDayWindow(day, settings);
        expect(from <= instant && instant < to, `${instant.toISOString()} in ${day}`).toBe(true);
      }
    }
  });

  it('the last closed day is the one before today’s', () => {
    expect(lastClosedDay(new Date('2026-11-30T22:05:00Z'), johannesburg)).toBe('2026-11-30');
  });

  it('take a cut-off as HH:MM or HH:MM:SS only', () => {
    expect(cutoffSeconds('00:00')).toBe(0);
    expect(cutoffSeconds('17:30:05')).toBe(63_005);
    for (const bad of ['24:00', '7:00', '17:60', 'noon', '']) expect(cutoffSeconds(bad)).toBeUndefined();
  });
});

const settled = (overrides: Partial<SettledTransaction>): SettledTransaction => ({
  type: 'provision',
  provider: 'flash',
  channelId: '22222222',
  state: 'CONFIRMED',
  amount: 1_000,
  fee: null,
  currency: '710',
  ...overrides,
});

describe('settlement figures', () => {
  const day = [
    settled({ amount: 1_000, fee: 50 }),
    settled({ amount: 2_500 }),
    settled({ state: 'REVERSED', amount: 700 }),
    settled({ type: 'redemption', amount: 300 }),
    settled({ type: 'refund', amount: 200, fee: 10 }),
    settled({ state: 'DECLINED', amount: 900 }),
    settled({ provider: 'netcare', amount: 55_000 }),
    settled({ channelId: '55555555', amount: 400 }),
  ];

  it('count and sum each provider, channel, type and state', () => {
    const { lines } = settlementFigures(day);
    expect(lines.filter((l) => l.provider === 'flash' && l.channelId === '22222222')).toEqual([
      expect.objectContaining({ type: 'provision', state: 'CONFIRMED', count: 2, amount: 3_500, fee: 50 }),
      expect.objectContaining({ type: 'provision', state: 'DECLINED', count: 1, amount: 900 }),
      expect.objectContaining({ type: 'provision', state: 'REVERSED', count: 1, amount: 700 }),
      expect.objectContaining({ type: 'redemption', state: 'CONFIRMED', count: 1, amount: 300 }),
      expect.objectContaining({ type: 'refund', state: 'CONFIRMED', count: 1, amount: 200, fee: 10 }),
    ]);
    // Every transaction counted once.
    expect(lines.reduce((n, l) => n + l.count, 0)).toBe(day.length);
  });

  it('net confirmed provisions against confirmed redemptions and refunds; reversed and declined move nothing', () => {
    expect(settlementFigures(day).positions).toEqual([
      { provider: 'flash', channelId: '22222222', currency: '710', net: 3_500 - 300 - 200, fees: 60 },
      { provider: 'flash', channelId: '55555555', currency: '710', net: 400, fees: 0 },
      { provider: 'netcare', channelId: '22222222', currency: '710', net: 55_000, fees: 0 },
    ]);
  });

  it('write CSV with a header and one quoted cell where it needs it', () => {
    const { lines } = settlementFigures([settled({ channelId: 'a,"b"' })]);
    expect(settlementCsv('2026-11-30', lines)).toBe(
      'business_day,provider,channel,currency,type,state,count,amount,fee\r\n' +
        '2026-11-30,flash,"a,""b""",710,provision,CONFIRMED,1,1000,0\r\n',
    );
  });
});
