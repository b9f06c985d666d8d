import type { ChannelStats } from './channel';
import type { CheckResult } from './check';
import type { Drain, FaultCounts } from './faults';
import type { Model, ProblemKind } from './model';

/** The suite's table: faults injected, transactions by type and final state, and what went wrong. */

export interface RunFigures {
  size: string;
  /** API and worker processes each. */
  instances: number;
  /** The API processes ran workers too, starting transactions eagerly (API_WORKER). */
  apiWorker: boolean;
  loadSeconds: number;
  lanes: number;
  quiescenceSeconds?: number;
  totalSeconds: number;
  faults: FaultCounts;
  /** Channel connections each API process took from the balancer. */
  apiConnections: number[];
  counts: Model['counts'];
  channel: ChannelStats;
  check: CheckResult;
  drains: Drain[];
}

const phases = ['CONFIRMED', 'REVERSED', 'DECLINED', 'AWAITING_REQUEST', 'not taken'];

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(cells[0] as string[]), rule, ...cells.slice(1).map(line)].join('\n');
}

export function report(f: RunFigures): string {
  const { faults, check, channel } = f;
  const open = Object.values(channel.indefinite).reduce((sum, n) => sum + n, 0);
  const indefinite = Object.entries(channel.indefinite)
    .map(([kind, n]) => `${kind}: ${n}`)
    .join(', ');
  const faultRows: (string | number)[][] = [
    ['worker killed (SIGKILL) and replaced', faults.workerKills],
    [
      'Temporal server stopped, started again on its file',
      `${faults.temporalRestarts} (${faults.temporalDownSeconds.toFixed(1)} s down)`,
    ],
    ['API killed (SIGKILL) with requests in flight, started again', faults.apiRestarts],
    ['provider down (every operation)', `${faults.providerOutages} (${faults.providerDownSeconds} s)`],
    ['faults overlapping, as one set at the end (README: Faults)', faults.overlaps],
    [
      'provider timeouts: requests / advices',
      `${check.timedOut.requests} / ${check.timedOut.advices} (${faults.timeoutsInjected} armed)`,
    ],
    ['reporting database cut off, restored', `${faults.databaseCuts} (${faults.databaseDownSeconds} s)`],
    ['same provision twice at once', f.counts.duplicatesAtOnce],
    ['retry while the original is in flight', f.counts.retriesInFlight],
    ['reversal before its request', f.counts.earlyReversals],
    ['two redemptions of one voucher at once', f.counts.concurrentRedemptions],
    ['provision reversed by its channel when the outcome was open', f.counts.reversedWhenOpen],
    [
      'answers leaving the outcome open (then sent again)',
      `${open}${indefinite ? ` (${indefinite})` : ''}; ${channel.retried} sent again`,
    ],
  ];
  const typeRows = (['provision', 'redemption', 'refund'] as const).map((type) => {
    const tally = check.byType[type];
    const other = Object.entries(tally)
      .filter(([phase]) => !phases.includes(phase))
      .reduce((sum, [, n]) => sum + n, 0);
    const total = Object.values(tally).reduce((sum, n) => sum + n, 0);
    return [type, ...phases.map((phase) => tally[phase] ?? 0), other, total];
  });
  const tally = (kind: ProblemKind) => check.problems.filter((p) => p.kind === kind).length;
  const drained = f.drains.map((d) => (d.seconds === undefined ? 'not drained' : `${d.seconds.toFixed(1)} s`));
  const resultRows: (string | number)[][] = [
    ['lost', tally('lost')],
    ['duplicated', tally('duplicated')],
    ['unsettled', tally('unsettled')],
    ['  of which: no definite answer within the channel patience', check.unanswered],
    ['inconsistent (final state, copy or answers disagree)', tally('inconsistent')],
    [
      "exceptions reconciling the providers' files (files, lines)",
      `${tally('unreconciled')} (${check.reconciled.files} files, ${check.reconciled.lines} lines)`,
    ],
    ['timed-out requests reversed at the provider', `${check.timedOut.reversed} of ${check.timedOut.requests}`],
    [
      "requests answered with the switch's own error, not in effect",
      `${check.switchErrors.honoured} of ${check.switchErrors.answered}`,
    ],
    ['SAF backlog when the provider came back', f.drains.map((d) => d.backlog).join(', ') || '—'],
    ['time to drain the SAF backlog', drained.join(', ') || '—'],
    ['channel connections taken, by API process', f.apiConnections.join(', ')],
    ['transaction workflows / reporting rows', `${check.workflows} / ${check.reportingRows}`],
    [
      'vouchers (running voucher workflows) by state',
      Object.entries(check.voucherStates)
        .map(([status, n]) => `${n} ${status.toLowerCase()}`)
        .join(', ') || '0',
    ],
  ];
  const problems = check.problems.slice(0, 30).map((p) => `  - ${p.kind}: ${p.message}`);
  if (check.problems.length > 30) problems.push(`  … and ${check.problems.length - 30} more`);
  return [
    `Fault suite (${f.size}, ${f.instances} API${f.apiWorker ? ' (each with a worker, eager starts)' : ''} and ${f.instances} worker process(es)): ${f.loadSeconds} s of mixed load on ${f.lanes} lanes, quiescent ` +
      `${f.quiescenceSeconds === undefined ? 'never' : `${f.quiescenceSeconds} s after it`}; ${f.totalSeconds} s in all`,
    '',
    table(['Fault injected', 'Count'], faultRows),
    '',
    table(['Transactions', ...phases, 'other', 'total'], typeRows),
    '',
    table(['Result', 'Count'], resultRows),
    ...(problems.length > 0 ? ['', 'Problems:', ...problems] : []),
  ].join('\n');
}
