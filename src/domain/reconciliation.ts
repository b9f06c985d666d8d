import type { TransactionType } from './lifecycle';

/*
 * Reconciliation: a provider's record of its transactions, line by line, against the switch's.
 * Lines are matched by the switch's reference (the one the provider was sent); a provider's file
 * format only changes how its lines are read (provider-files.ts), never how they are matched.
 */

/** A transaction's state as either side tells it, for what it means for money. */
export type ReconciledState = 'CONFIRMED' | 'REVERSED' | 'PENDING';

/** One line of a provider's file, read by its format's parser. */
export interface ProviderLine {
  /** The line's number in the file (the header is line 1). */
  line: number;
  switchReference: string;
  providerReference?: string;
  type: TransactionType;
  /** Minor units; absent when the file does not say. */
  amount?: number;
  state: ReconciledState;
  time?: string;
}

/** A transaction as the switch's reporting copy has it. */
export interface SwitchRecord {
  transactionId: string;
  switchReference: string;
  providerReference?: string;
  type: TransactionType;
  amount?: number;
  /** The switch's phase: CONFIRMED, REVERSED, DECLINED, APPROVED, IN_FLIGHT or AWAITING_REQUEST. */
  state: string;
  /** Whether it settled within the reconciled business day (only those can be missing from the file). */
  inDay: boolean;
}

export const reconciliationOutcomes = [
  'matched',
  'amount_differs',
  'state_differs',
  'only_at_provider',
  'only_at_switch',
] as const;
export type ReconciliationOutcome = (typeof reconciliationOutcomes)[number];

export interface ReconciliationItem {
  outcome: ReconciliationOutcome;
  switchReference: string;
  provider?: ProviderLine;
  switchSide?: SwitchRecord;
}

/** What a state means for the money: moved, voided, or not decided yet. */
function meaning(state: string): 'moved' | 'void' | 'open' {
  if (state === 'CONFIRMED') return 'moved';
  if (state === 'REVERSED' || state === 'DECLINED') return 'void';
  return 'open';
}

/**
 * Whether the provider must have the switch's transaction: it confirmed it (the money moved), or
 * the provider answered it (it has a reference from the provider). A decline, or a reversal of a
 * request the provider never got, leaves nothing at the provider.
 */
function providerMustHave(record: SwitchRecord): boolean {
  return record.state === 'CONFIRMED' || (record.providerReference !== undefined && record.state !== 'DECLINED');
}

/**
 * Files every line of the provider's file, and every transaction of the day the switch has and
 * the provider should: matched, amount differs, state differs, only at the provider (including a
 * second line for one reference), or only at the switch. `records` holds the switch's
 * transactions of the day and any other the lines name. A provider that takes no advices never
 * learns whether a voucher was confirmed or reversed (`statesKnown: false`): its lines are
 * matched on their presence and amount only.
 */
export function reconcile(
  lines: readonly ProviderLine[],
  records: readonly SwitchRecord[],
  { statesKnown = true }: { statesKnown?: boolean } = {},
): ReconciliationItem[] {
  const byReference = new Map(records.map((record) => [record.switchReference, record]));
  const seen = new Set<string>();
  const items: ReconciliationItem[] = lines.map((line) => {
    const switchSide = seen.has(line.switchReference) ? undefined : byReference.get(line.switchReference);
    seen.add(line.switchReference);
    if (!switchSide) return { outcome: 'only_at_provider', switchReference: line.switchReference, provider: line };
    const outcome: ReconciliationOutcome =
      statesKnown && meaning(line.state) !== meaning(switchSide.state)
        ? 'state_differs'
        : line.amount !== undefined && switchSide.amount !== undefined && line.amount !== switchSide.amount
          ? 'amount_differs'
          : 'matched';
    return { outcome, switchReference: line.switchReference, provider: line, switchSide };
  });
  for (const record of records) {
    if (record.inDay && !seen.has(record.switchReference) && providerMustHave(record)) {
      items.push({ outcome: 'only_at_switch', switchReference: record.switchReference, switchSide: record });
    }
  }
  return items;
}

/** How many items of each outcome. */
export function countOutcomes(items: readonly ReconciliationItem[]): Record<ReconciliationOutcome, number> {
  const counts = Object.fromEntries(reconciliationOutcomes.map((outcome) => [outcome, 0])) as Record<
    ReconciliationOutcome,
    number
  >;
  for (const item of items) counts[item.outcome] += 1;
  return counts;
}
