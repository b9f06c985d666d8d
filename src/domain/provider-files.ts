import { csvRows, csvText } from './csv';
import type { TransactionType } from './lifecycle';
import type { ProviderLine, ReconciledState } from './reconciliation';

/*
 * Providers' transaction files, read into lines the matcher takes. A provider whose file has
 * another layout gets a parser of its own here; the matcher does not change.
 */

/** A file the switch cannot read: each problem names its line. */
export class ProviderFileError extends Error {
  constructor(readonly problems: { line: number; problem: string }[]) {
    super(`The file is not valid: ${problems.map((p) => `line ${p.line}: ${p.problem}`).join('; ')}`);
  }
}

export type ProviderFileParser = (text: string) => ProviderLine[];

/** The switch's own layout, which providers may send as they are and the simulator exports. */
export const switchCsvColumns = ['switch_reference', 'provider_reference', 'type', 'amount', 'state', 'time'] as const;

const types: readonly TransactionType[] = ['provision', 'redemption', 'refund'];
const states: readonly ReconciledState[] = ['CONFIRMED', 'REVERSED', 'PENDING'];

/** `switch-csv`: a header row with `switchCsvColumns` in any order, then one transaction a row. */
export const parseSwitchCsv: ProviderFileParser = (text) => {
  const [header, ...rows] = csvRows(text.replace(/^\uFEFF/, ''));
  const problems: { line: number; problem: string }[] = [];
  const columns = (header ?? []).map((name) => name.trim().toLowerCase());
  const missing = switchCsvColumns.filter((name) => !columns.includes(name));
  if (!header || missing.length > 0) {
    throw new ProviderFileError([{ line: 1, problem: `the header lacks ${missing.join(', ') || 'every column'}` }]);
  }
  const lines: ProviderLine[] = [];
  rows.forEach((cells, index) => {
    const line = index + 2;
    if (cells.every((cell) => cell.trim() === '')) return;
    const value = (name: (typeof switchCsvColumns)[number]) => (cells[columns.indexOf(name)] ?? '').trim();
    const type = value('type') as TransactionType;
    const state = value('state').toUpperCase() as ReconciledState;
    const amountText = value('amount');
    const amount = /^-?\d{1,15}$/.test(amountText) ? Number(amountText) : undefined;
    const problem =
      (!value('switch_reference') && 'no switch_reference') ||
      (!types.includes(type) && `type must be one of ${types.join(', ')}`) ||
      (!states.includes(state) && `state must be one of ${states.join(', ')}`) ||
      (amountText !== '' && amount === undefined && 'amount must be a whole number of minor units') ||
      (cells.some((cell) => cell.includes('\u0000')) && 'a NUL character') ||
      (value('time') !== '' && Number.isNaN(Date.parse(value('time'))) && 'time must be an ISO 8601 date-time');
    if (problem) {
      problems.push({ line, problem });
      return;
    }
    lines.push({
      line,
      switchReference: value('switch_reference'),
      providerReference: value('provider_reference') || undefined,
      type,
      amount,
      state,
      time: value('time') || undefined,
    });
  });
  if (problems.length > 0) throw new ProviderFileError(problems);
  return lines;
};

/** The file formats the switch reads, by the name an upload gives. */
export const providerFileParsers = { 'switch-csv': parseSwitchCsv } satisfies Record<string, ProviderFileParser>;
export type ProviderFileFormat = keyof typeof providerFileParsers;

/** Lines in the `switch-csv` layout (what the simulator exports). */
export function writeSwitchCsv(lines: readonly Omit<ProviderLine, 'line'>[]): string {
  return csvText([
    switchCsvColumns,
    ...lines.map((l) => [l.switchReference, l.providerReference, l.type, l.amount, l.state, l.time]),
  ]);
}
