import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { advices, transactions } from '../../src/db/schema';
import { adviceOperations, type Lifecycle } from '../../src/domain/lifecycle';
import { providerProfiles } from '../../src/domain/providers';
import { workflowIdFor } from '../../src/domain/provision';
import { businessDayOf, nextDay } from '../../src/domain/settlement';
import type { VoucherRecord } from '../../src/domain/voucher';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import { voucherSnapshot } from '../../src/workflows/messages';
import { channelId } from './channel';
import { expectation, type Model, type Problem, type ProblemKind, type TransactionType, type Txn } from './model';
import type { Stack } from './stack';

/**
 * After the load: waits until every transaction has settled, then holds the switch to what
 * the channel was told, from three places: the provider's ledger (the simulator), the Temporal
 * history (each workflow's final state) and the reporting copy.
 */

const transactionTypes = ['provisionVoucher', 'redeemVoucher', 'refundVoucher'];
const typeQuery = `WorkflowType IN (${transactionTypes.map((t) => `'${t}'`).join(', ')})`;

/** Waits until no transaction workflow is running; resolves with how long that took, or undefined. */
export async function waitForQuiescence(client: Client, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const { count } = await client.workflow.count(`${typeQuery} AND ExecutionStatus = 'Running'`).catch(() => ({
      count: -1,
    }));
    if (count === 0) return Date.now() - started;
    await sleep(1_000);
  }
  return undefined;
}

interface Workflow {
  id: string;
  type: string;
  status: string;
  lifecycle?: Lifecycle;
}

async function transactionWorkflows(client: Client): Promise<Map<string, Workflow>> {
  const found = new Map<string, Workflow>();
  for await (const info of client.workflow.list({ query: typeQuery })) {
    found.set(info.workflowId, { id: info.workflowId, type: info.type, status: info.status.name });
  }
  const completed = [...found.values()].filter((w) => w.status === 'COMPLETED');
  // A few at a time: the dev server is one process on a shared machine.
  for (let i = 0; i < completed.length; i += 8) {
    await Promise.all(
      completed.slice(i, i + 8).map(async (w) => {
        w.lifecycle = await client.workflow.getHandle<() => Promise<Lifecycle>>(w.id).result();
      }),
    );
  }
  return found;
}

/** Each voucher workflow's status, and the record of each one still running. */
async function voucherWorkflows(client: Client) {
  const statuses: Record<string, number> = {};
  const running: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = 'voucherLifecycle'` })) {
    statuses[info.status.name] = (statuses[info.status.name] ?? 0) + 1;
    if (info.status.name === 'RUNNING') running.push(info.workflowId);
  }
  const records: VoucherRecord[] = [];
  for (let i = 0; i < running.length; i += 8) {
    const batch = running.slice(i, i + 8).map((id) => client.workflow.getHandle(id).query(voucherSnapshot));
    records.push(...(await Promise.all(batch)));
  }
  return { statuses, records };
}

const requestOperation: Record<TransactionType, LedgerEntry['operation']> = {
  provision: 'provision',
  redemption: 'redeem',
  refund: 'refund',
};

/** The advices that settle each request at the provider. */
const settledBy: Partial<Record<LedgerEntry['operation'], LedgerEntry['operation'][]>> = {
  provision: ['confirm', 'reverse'],
  redeem: ['confirmRedeem', 'reverseRedeem'],
  refund: ['confirmRefund', 'reverseRefund'],
};

export interface CheckResult {
  problems: Problem[];
  /** Final phase per transaction type, as Temporal has it (`not taken`: refused before any workflow). */
  byType: Record<TransactionType, Record<string, number>>;
  workflows: number;
  /** The vouchers' states (their workflows' records) once every transaction settled. */
  voucherStates: Record<string, number>;
  reportingRows: number;
  /** Requests the provider timed out on, and how many of those the switch reversed there. */
  timedOut: { requests: number; reversed: number; advices: number };
  /** Requests answered with the switch's own error, and how many of those ended as the channel was told: not in effect. */
  switchErrors: { answered: number; honoured: number };
  unanswered: number;
  /** The providers' files (the simulator's ledgers) reconciled through the operator API, per provider and business day. */
  reconciled: { files: number; lines: number; exceptions: number };
}

/** The development operator, which the suite's stack keeps. */
const operatorAuth = `Basic ${Buffer.from('operator:operator').toString('base64')}`;

/**
 * Reconciles each provider's file, as the simulator exports it, against the switch for every
 * business day of the run, through the operator API as finance would: every exception is a
 * problem. The whole file goes with each day; a line of another day is found by its reference.
 */
async function reconcileProviders(stack: Stack, rows: { provider: string | null; receivedAt: string }[], flag: Flag) {
  const settings = stack.config.settlement.businessDay;
  const providers = [...new Set(rows.flatMap((row) => (row.provider ? [row.provider] : [])))].sort();
  const firstDay = businessDayOf(new Date(Math.min(...rows.map((row) => Date.parse(row.receivedAt)))), settings);
  const days = [firstDay];
  while ((days.at(-1) as string) < businessDayOf(new Date(), settings)) days.push(nextDay(days.at(-1) as string));
  const reconciled = { files: 0, lines: 0, exceptions: 0 };
  for (const provider of providers) {
    const file = await (await fetch(`${stack.simulatorUrl}/sim/ledger/export?provider=${provider}`)).text();
    for (const day of days) {
      const response = await fetch(`${stack.apiUrl}/ops/reconciliations?provider=${provider}&day=${day}`, {
        method: 'POST',
        headers: { authorization: operatorAuth, 'content-type': 'text/csv' },
        body: file,
      });
      const body = (await response.json()) as {
        lineCount?: number;
        exceptions?: { outcome: string; switchReference: string; providerLine?: unknown; switchRecord?: unknown }[];
      };
      if (response.status !== 201) {
        flag('unreconciled', `${provider} ${day}: the upload was answered ${response.status} ${JSON.stringify(body)}`);
        continue;
      }
      reconciled.files += 1;
      reconciled.lines += body.lineCount ?? 0;
      for (const exception of body.exceptions ?? []) {
        reconciled.exceptions += 1;
        flag('unreconciled', `${provider} ${day}: ${exception.outcome} ${JSON.stringify(exception)}`);
      }
    }
  }
  return reconciled;
}

/** Everything the check reads, gathered once. */
interface Sources {
  workflows: Map<string, Workflow>;
  /** The provider's ledger by the channel message each entry serves, and by the advice id it carries. */
  byMessage: Map<string | undefined, LedgerEntry[]>;
  byAdviceId: Map<string | undefined, LedgerEntry[]>;
  rows: Map<string | undefined, (typeof transactions.$inferSelect)[]>;
  adviceRows: Map<string | undefined, (typeof advices.$inferSelect)[]>;
}

type Flag = (kind: ProblemKind, message: string) => void;

/** What the provider took for one settled transaction: its request once, its advices once, its reversal after a timeout. */
function checkAtProvider(
  txn: Txn,
  lifecycle: Lifecycle,
  sources: Sources,
  flag: Flag,
  timedOut: CheckResult['timedOut'],
) {
  const label = `${txn.scenario} ${txn.id}`;
  const entries = sources.byMessage.get(txn.id) ?? [];
  const oks = (operation: string) => entries.filter((e) => e.operation === operation && e.outcome === 'ok').length;
  const request = requestOperation[txn.type];
  const operations = adviceOperations[txn.type];
  if (txn.answer?.status === 201 && oks(request) !== 1) {
    flag('inconsistent', `${label}: approved to the channel, but the provider took it ${oks(request)} times`);
  }
  if ((lifecycle.phase === 'DECLINED' || lifecycle.phase === 'AWAITING_REQUEST') && oks(request) > 0) {
    flag('inconsistent', `${label}: ${lifecycle.phase}, but the provider took the ${request}`);
  }
  if (lifecycle.phase === 'CONFIRMED' && oks(operations.reverse) > 0) {
    flag('inconsistent', `${label}: confirmed, but the provider took a reversal`);
  }
  if (lifecycle.phase === 'REVERSED' && oks(operations.confirm) > 0) {
    flag('inconsistent', `${label}: reversed, but the provider took a confirmation`);
  }

  const provider = lifecycle.provider ?? txn.provider;
  const takesAdvices = providerProfiles[provider].supportsAdvices;
  // Settled at the provider: taken, answered from its record, or (a reversal) unknown there.
  const reached = (advice: Lifecycle['advices'][number]) =>
    (sources.byAdviceId.get(advice.id) ?? []).some(
      (e) => e.outcome === 'ok' || e.outcome === 'replayed' || (advice.kind === 'reverse' && e.outcome === 'declined'),
    );
  for (const advice of lifecycle.advices) {
    const sent = sources.byAdviceId.get(advice.id) ?? [];
    const took = sent.filter((e) => e.outcome === 'ok').length;
    if (advice.saf === 'pending') flag('unsettled', `${label}: ${advice.kind} ${advice.id} still pending`);
    if (advice.saf === 'refused') flag('inconsistent', `${label}: ${advice.kind} refused: ${advice.lastError}`);
    if (took > 1) flag('duplicated', `${label}: the provider took ${advice.kind} ${advice.id} ${took} times`);
    if (!takesAdvices && (advice.saf !== 'consumed' || sent.length > 0)) {
      flag('inconsistent', `${label}: ${provider} takes no advices, but ${advice.kind} is ${advice.saf}`);
    }
    if (takesAdvices && advice.saf === 'delivered' && !reached(advice)) {
      flag('lost', `${label}: ${advice.kind} ${advice.id} recorded as delivered, but the provider never took it`);
    }
  }

  // A request the provider timed out on, and never answered in time afterwards, is reversed there.
  const timedOutHere = entries.some((e) => e.operation === request && e.outcome === 'timeout');
  const answeredLater = entries.some((e) => e.operation === request && e.outcome !== 'timeout');
  if (timedOutHere && !answeredLater) {
    timedOut.requests += 1;
    const reversal = lifecycle.advices.find((a) => a.kind === 'reverse');
    if (lifecycle.phase === 'REVERSED' && reversal?.saf === 'delivered' && reached(reversal)) timedOut.reversed += 1;
    else flag('unsettled', `${label}: timed out at the provider, but not reversed there`);
  }
  timedOut.advices += entries.filter((e) => e.operation !== request && e.outcome === 'timeout').length;
}

/** The reporting copy: one row in the workflow's final state, every advice as settled, and no other advice. */
function checkInCopy(txn: Txn, workflowId: string, lifecycle: Lifecycle, sources: Sources, flag: Flag) {
  const label = `${txn.scenario} ${txn.id}`;
  const row = sources.rows.get(workflowId)?.[0];
  if (!row) return flag('lost', `${label}: missing from the reporting copy`);
  if (row.state !== lifecycle.phase) {
    flag('inconsistent', `${label}: the reporting copy has ${row.state}, the workflow ended ${lifecycle.phase}`);
  }
  const adviceRows = sources.adviceRows.get(workflowId) ?? [];
  for (const advice of lifecycle.advices) {
    const adviceRow = adviceRows.find((r) => r.adviceId === advice.id);
    if (adviceRow?.saf !== advice.saf) {
      flag('inconsistent', `${label}: reporting copy has ${advice.kind} ${adviceRow?.saf ?? 'missing'}`);
    }
  }
  // One the transaction never had would show as SAF backlog for ever.
  for (const adviceRow of adviceRows) {
    if (!lifecycle.advices.some((a) => a.id === adviceRow.adviceId)) {
      const advice = `${adviceRow.saf} ${adviceRow.kind} ${adviceRow.adviceId}`;
      flag('inconsistent', `${label}: reporting copy has a ${advice} the transaction never had`);
    }
  }
}

export async function check(stack: Stack, model: Model): Promise<CheckResult> {
  const client = await stack.temporalClient();
  const problems: Problem[] = [...model.problems];
  const flag: Flag = (kind, message) => problems.push({ kind, message });

  const workflows = await transactionWorkflows(client);
  const vouchers = await voucherWorkflows(client);
  const ledger = await stack.simulator.ledger();
  const { db } = await stack.reportingStore();
  const rows = await db.select().from(transactions);
  const sources: Sources = {
    workflows,
    byMessage: groupBy(ledger, (e) => e.channelMessageId),
    byAdviceId: groupBy(ledger, (e) => e.id),
    rows: groupBy(rows, (r) => r.id),
    adviceRows: groupBy(await db.select().from(advices), (r) => r.transactionId),
  };
  const byType: CheckResult['byType'] = { provision: {}, redemption: {}, refund: {} };
  const timedOut = { requests: 0, reversed: 0, advices: 0 };
  const switchErrors = { answered: 0, honoured: 0 };
  let unanswered = 0;

  for (const txn of model.txns) {
    const label = `${txn.scenario} ${txn.id}`;
    const workflowId = workflowIdFor(channelId, txn.id, txn.type);
    const workflow = workflows.get(workflowId);
    const entries = sources.byMessage.get(txn.id) ?? [];
    const request = requestOperation[txn.type];
    const took = entries.filter((e) => e.operation === request && e.outcome === 'ok');
    if (took.length > 1) {
      const when = took.map((e) => `${e.id} at ${e.receivedAt}`).join(', ');
      flag('duplicated', `${label}: the provider took the ${request} ${took.length} times: ${when}`);
    }

    const expected = expectation(txn);
    if ('open' in expected) {
      unanswered += 1;
      flag('unsettled', `${label}: the channel never got a definite answer`);
    }
    if ('none' in expected) {
      count(byType[txn.type], 'not taken');
      if (workflow) flag('inconsistent', `${label}: refused as never taken, but its workflow exists`);
      if (entries.length > 0) flag('inconsistent', `${label}: refused as never taken, but the provider received it`);
      continue;
    }
    const toldSwitchError = 'phases' in expected && expected.mayBeUntaken === true;
    if (toldSwitchError) switchErrors.answered += 1;
    if (!workflow && toldSwitchError) {
      switchErrors.honoured += entries.length === 0 ? 1 : 0;
      count(byType[txn.type], 'not taken');
      if (entries.length > 0) flag('inconsistent', `${label}: never taken, but the provider received it`);
      continue;
    }
    if (!workflow) {
      flag('lost', `${label}: answered ${describe(txn)} but the switch has no workflow`);
      continue;
    }
    if (workflow.status !== 'COMPLETED' || !workflow.lifecycle) {
      count(byType[txn.type], workflow.status);
      flag('unsettled', `${label}: workflow ${workflow.status}`);
      continue;
    }
    const lifecycle = workflow.lifecycle;
    count(byType[txn.type], lifecycle.phase);
    if ('phases' in expected && !expected.phases.includes(lifecycle.phase)) {
      flag('inconsistent', `${label}: the channel was told ${describe(txn)}, the transaction ended ${lifecycle.phase}`);
    } else if (toldSwitchError) {
      switchErrors.honoured += 1;
    }
    // The channel's own advice, once accepted, is one of the transaction's advices, unless it
    // repeated a settlement already there (a reversal of what the switch had reversed or declined).
    const accepted = txn.advice?.answer?.status === 202 ? txn.advice : undefined;
    if (accepted && !lifecycle.advices.some((a) => a.id === accepted.id)) {
      const repeated =
        lifecycle.advices.some((a) => a.kind === accepted.kind) ||
        (accepted.kind === 'reverse' && lifecycle.phase === 'DECLINED');
      if (!repeated) flag('lost', `${label}: its ${accepted.kind}, accepted with 202, is not among its advices`);
    }
    checkAtProvider(txn, lifecycle, sources, flag, timedOut);
    checkInCopy(txn, workflowId, lifecycle, sources, flag);
  }

  // Nothing the channel did not send: no other workflow, provider message or reporting row.
  const sentWorkflows = new Set(model.txns.map((t) => workflowIdFor(channelId, t.id, t.type)));
  for (const workflow of workflows.values()) {
    if (!sentWorkflows.has(workflow.id)) flag('inconsistent', `workflow ${workflow.id} belongs to no transaction sent`);
  }
  const sentIds = new Set(model.txns.map((t) => t.id));
  for (const [message, entries] of sources.byMessage) {
    if (message && !sentIds.has(message)) {
      flag('inconsistent', `the provider received ${entries[0]?.operation} for unknown message ${message}`);
    }
  }
  for (const group of groupBy(rows, (r) => `${r.channelId}/${r.type}/${r.messageId}`).values()) {
    if (group.length > 1) flag('duplicated', `reporting copy holds ${group.length} rows for ${group[0]?.id}`);
  }
  for (const row of rows) {
    if (!workflows.has(row.id)) flag('inconsistent', `reporting copy row ${row.id} has no workflow`);
  }

  // Every voucher the provider issued, and every redemption or refund it took, was then confirmed
  // or reversed there: none is left for ever as the switch never knew it (providers without advices aside).
  const byRequestId = groupBy(ledger, (e) => e.requestId);
  for (const entry of ledger) {
    const settlements = settledBy[entry.operation];
    if (!settlements || entry.outcome !== 'ok' || !providerProfiles[entry.provider].supportsAdvices) continue;
    const settled = (byRequestId.get(entry.id) ?? []).some(
      (e) => settlements.includes(e.operation) && (e.outcome === 'ok' || e.outcome === 'replayed'),
    );
    if (!settled) {
      const what = `${entry.provider} ${entry.operation} ${entry.id} for message ${entry.channelMessageId}`;
      flag('unsettled', `${what} was neither confirmed nor reversed at the provider`);
    }
  }

  for (const [status, n] of Object.entries(vouchers.statuses)) {
    if (status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW') flag('unsettled', `${n} voucher workflows ${status}`);
  }
  // Once every transaction has settled, no voucher is held by a use or owes its provider an advice.
  const voucherStates: Record<string, number> = {};
  for (const voucher of vouchers.records) {
    count(voucherStates, voucher.state);
    const name = `voucher of provision ${voucher.provision.requestId}`;
    if (voucher.holder) flag('unsettled', `${name}: still held by ${voucher.holder.use} ${voucher.holder.reference}`);
    if (voucher.pendingAdvices.length > 0) {
      flag('unsettled', `${name}: ${voucher.pendingAdvices.length} advices still owed to ${voucher.provider}`);
    }
  }

  const reconciled =
    rows.length > 0 ? await reconcileProviders(stack, rows, flag) : { files: 0, lines: 0, exceptions: 0 };
  return {
    problems,
    byType,
    reconciled,
    workflows: workflows.size,
    voucherStates,
    reportingRows: rows.length,
    timedOut,
    switchErrors,
    unanswered,
  };
}

function describe(txn: Txn): string {
  const answer = txn.answer;
  const request = answer ? `${answer.status}${answer.errorType ? ` ${answer.errorType}` : ''}` : 'nothing definite';
  const advice = txn.advice && `${txn.advice.kind} → ${txn.advice.answer?.status ?? 'nothing definite'}`;
  return advice ? `${request}, ${advice}` : request;
}

function count(tally: Record<string, number>, key: string) {
  tally[key] = (tally[key] ?? 0) + 1;
}

function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string | undefined, T[]> {
  const groups = new Map<string | undefined, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
