import { csvText } from './csv';
import type { Phase, TransactionType } from './lifecycle';

/*
 * Settlement: what the switch owes each provider, and is owed, for one business day, per channel.
 * A transaction belongs to the business day in which it reached its final state (confirmed,
 * reversed or declined): one still open at the cut-off goes into the day it settles in, so it is
 * never in two days and never in none.
 */

export interface BusinessDaySettings {
  /** Local time of day at which a business day ends, `HH:MM` or `HH:MM:SS`. */
  cutoff: string;
  /** IANA time zone of the cut-off, e.g. `Africa/Johannesburg`. */
  timeZone: string;
}

/** A business day, `YYYY-MM-DD`. */
export type BusinessDay = string;

const finalPhases = ['CONFIRMED', 'REVERSED', 'DECLINED'] as const satisfies readonly Phase[];
export type FinalPhase = (typeof finalPhases)[number];

export function isFinalPhase(phase: string): phase is FinalPhase {
  return (finalPhases as readonly string[]).includes(phase);
}

/** Seconds after local midnight of a cut-off, or undefined when it is not a time of day. */
export function cutoffSeconds(cutoff: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(cutoff);
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface LocalTime {
  day: BusinessDay;
  /** Seconds after local midnight. */
  seconds: number;
}

function localTime(instant: Date, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    seconds: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second),
  };
}

/** The calendar day after (or, with -1, before) `day`. */
export function nextDay(day: BusinessDay, step = 1): BusinessDay {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + step);
  return date.toISOString().slice(0, 10);
}

/**
 * The business day of an instant. With a cut-off of midnight, the local calendar day; with a later
 * one, what happens from the cut-off on belongs to the next day (a 17:00 cut-off: Tuesday 17:30
 * is Wednesday's business).
 */
export function businessDayOf(instant: Date, settings: BusinessDaySettings): BusinessDay {
  const local = localTime(instant, settings.timeZone);
  const cut = cutoffSeconds(settings.cutoff) ?? 0;
  const day = cut > 0 && local.seconds >= cut ? nextDay(local.day) : local.day;
  // Around a daylight-saving change the cut-off's local time may not exist, or exist twice: the
  // windows, which meet end to end, decide.
  const { from, to } = businessDayWindow(day, settings);
  if (instant < from) return nextDay(day, -1);
  return instant >= to ? nextDay(day) : day;
}

/**
 * The instant at which a local date and time of day occurs in `timeZone`. Across a daylight-saving
 * change, one of the instants near it: every window ends where the next begins all the same.
 */
function instantOf(day: BusinessDay, seconds: number, timeZone: string): Date {
  const asIfUtc = Date.parse(`${day}T00:00:00Z`) + seconds * 1000;
  let guess = asIfUtc;
  // The zone's offset at the guess, applied until it settles: twice is enough outside DST's gaps.
  for (let i = 0; i < 3; i += 1) {
    const local = localTime(new Date(guess), timeZone);
    const localAsUtc = Date.parse(`${local.day}T00:00:00Z`) + local.seconds * 1000;
    const next = asIfUtc - (localAsUtc - guess);
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

/** When a business day begins and ends: `[from, to)`. */
export function businessDayWindow(
  day: BusinessDay,
  { cutoff, timeZone }: BusinessDaySettings,
): { from: Date; to: Date } {
  const cut = cutoffSeconds(cutoff) ?? 0;
  // With a cut-off after midnight, the day begins at the previous day's cut-off.
  const startDay = cut > 0 ? nextDay(day, -1) : day;
  const endDay = cut > 0 ? day : nextDay(day);
  return { from: instantOf(startDay, cut, timeZone), to: instantOf(endDay, cut, timeZone) };
}

/** The last business day that has ended at `now`. */
export function lastClosedDay(now: Date, settings: BusinessDaySettings): BusinessDay {
  return nextDay(businessDayOf(now, settings), -1);
}

/** One settled transaction as the settlement reads it from the reporting copy. */
export interface SettledTransaction {
  type: TransactionType;
  provider: string | null;
  channelId: string;
  state: FinalPhase;
  /** Minor units (cents), as the contract's amounts. */
  amount: number | null;
  fee: number | null;
  currency: string | null;
}

/** Counts and amounts of one type of transaction in one final state, for one provider and channel. */
export interface SettlementLine {
  provider: string;
  channelId: string;
  currency: string;
  type: TransactionType;
  state: FinalPhase;
  count: number;
  amount: number;
  fee: number;
}

/**
 * What is to be settled between the switch's channel and one provider: confirmed provisions are
 * owed to the provider (it issued the value), confirmed redemptions and refunds are owed by it
 * (the value came back to the channel). Reversed and declined transactions move no money.
 */
export interface NetPosition {
  provider: string;
  channelId: string;
  currency: string;
  /** Confirmed provisions less confirmed redemptions and refunds: positive, owed to the provider. */
  net: number;
  fees: number;
}

export interface SettlementFigures {
  lines: SettlementLine[];
  positions: NetPosition[];
}

const owedToProvider: Record<TransactionType, number> = { provision: 1, redemption: -1, refund: -1 };

/** `unknown` where the copy has no provider (a use of a voucher the switch never knew). */
const unknownProvider = 'unknown';

/** The day's lines and net positions, sorted by provider, channel, currency, type and state. */
export function settlementFigures(transactions: readonly SettledTransaction[]): SettlementFigures {
  const lines = new Map<string, SettlementLine>();
  const positions = new Map<string, NetPosition>();
  for (const t of transactions) {
    const provider = t.provider ?? unknownProvider;
    const currency = t.currency ?? '';
    const key = [provider, t.channelId, currency, t.type, t.state].join('\u0000');
    const line = lines.get(key) ?? {
      provider,
      channelId: t.channelId,
      currency,
      type: t.type,
      state: t.state,
      count: 0,
      amount: 0,
      fee: 0,
    };
    line.count += 1;
    line.amount += t.amount ?? 0;
    line.fee += t.fee ?? 0;
    lines.set(key, line);
    if (t.state !== 'CONFIRMED') continue;
    const positionKey = [provider, t.channelId, currency].join('\u0000');
    const position = positions.get(positionKey) ?? { provider, channelId: t.channelId, currency, net: 0, fees: 0 };
    position.net += owedToProvider[t.type] * (t.amount ?? 0);
    position.fees += t.fee ?? 0;
    positions.set(positionKey, position);
  }
  const order = (a: string[], b: string[]) => a.join('\u0000').localeCompare(b.join('\u0000'));
  return {
    lines: [...lines.values()].sort((a, b) =>
      order(
        [a.provider, a.channelId, a.currency, a.type, a.state],
        [b.provider, b.channelId, b.currency, b.type, b.state],
      ),
    ),
    positions: [...positions.values()].sort((a, b) =>
      order([a.provider, a.channelId, a.currency], [b.provider, b.channelId, b.currency]),
    ),
  };
}

export const settlementCsvColumns = [
  'business_day',
  'provider',
  'channel',
  'currency',
  'type',
  'state',
  'count',
  'amount',
  'fee',
] as const;

/** The day's lines as CSV (RFC 4180), amounts in minor units; one line per provider, channel, type and state. */
export function settlementCsv(day: BusinessDay, lines: readonly SettlementLine[]): string {
  return csvText([
    settlementCsvColumns,
    ...lines.map((l) => [day, l.provider, l.channelId, l.currency, l.type, l.state, l.count, l.amount, l.fee]),
  ]);
}
