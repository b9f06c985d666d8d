/**
 * The fault suite: a mixed channel load against the switch running as separate processes, while
 * the worker is killed, Temporal restarted, a provider taken down or made to time out and the
 * reporting database cut off; then a check that nothing was lost, duplicated or left unsettled.
 *
 * `npm run test:faults` runs the full suite (`-- --short` for the short one CI runs inside
 * `npm test`, as test/faults/fault-suite.test.ts); `-- --instances 2` runs two API and two
 * worker processes, the APIs behind a round-robin balancer; `-- --api-worker` gives every API
 * process a worker of its own that it starts transactions on eagerly (API_WORKER). Needs PostgreSQL: FAULTS_DATABASE_URL, or
 * TEST_DATABASE_URL, names a server the suite may create (and drop) a database on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createChannel } from './channel';
import { check, waitForQuiescence } from './check';
import { createFaults, cycleSeconds } from './faults';
import { runLoad } from './flows';
import { Model, type Problem } from './model';
import { report } from './report';
import { stackSettings, startStack } from './stack';

export const suiteSizes = {
  /** One cycle of every fault: about two minutes in all. */
  short: { cycles: 1, lanes: 4, quiescenceMs: 120_000, timeoutMs: 360_000, longOutageSeconds: undefined },
  /**
   * Four cycles at a higher load, then the faults that overlap, with a provider down for five
   * and a half minutes: about sixteen minutes.
   */
  full: { cycles: 4, lanes: 6, quiescenceMs: 420_000, timeoutMs: 1_800_000, longOutageSeconds: 330 },
};
export type SuiteSize = keyof typeof suiteSizes;

export interface SuiteOptions {
  size: SuiteSize;
  databaseUrl: string;
  /** API and worker processes each, behind a round-robin balancer (1 by default). */
  instances?: number;
  /** Every API process runs a worker too and starts transactions eagerly on it (API_WORKER). */
  apiWorker?: boolean;
  log?: (line: string) => void;
}

export interface SuiteResult {
  /** Empty when the switch lost, duplicated and left unsettled nothing. */
  problems: Problem[];
  table: string;
}

export async function runFaultSuite({
  size,
  databaseUrl,
  instances = 1,
  apiWorker = false,
  log = console.log,
}: SuiteOptions): Promise<SuiteResult> {
  const plan = suiteSizes[size];
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1_000);
  const clock = () => new Date().toISOString().slice(11, 19);
  const say = (line: string) => log(`[faults ${String(elapsed()).padStart(3)} s ${clock()}] ${line}`);
  const logDir = mkdtempSync(join(tmpdir(), 'voucher-faults-logs-'));
  const stack = await startStack({ databaseUrl, logDir, log: say, instances, apiWorker });
  let passed = false;
  try {
    const model = new Model();
    const channel = createChannel(stack.apiUrl, {
      // Long enough to outlast any one fault: a Temporal restart, a worker replaced, a provider outage.
      patienceMs: 120_000,
      requestTimeoutMs: stackSettings.channelResponseTimeoutMs + 15_000,
    });
    const faults = createFaults(stack, say);
    let loadOver = false;
    const loadStarted = Date.now();
    const load = runLoad({ channel, model }, plan.lanes, () => loadOver);
    say(
      `load running on ${plan.lanes} lanes against ${instances} API and ${instances} worker process(es); ${plan.cycles} fault cycle(s) of ${cycleSeconds} s${plan.longOutageSeconds ? ', then faults that overlap' : ''}`,
    );
    try {
      await faults.run(plan.cycles, plan.longOutageSeconds);
    } finally {
      loadOver = true;
      await load;
    }
    const loadSeconds = Math.round((Date.now() - loadStarted) / 1_000);
    say(`load over: ${model.txns.length} transactions; waiting for every one to settle`);
    const drains = await faults.drains();
    const quiet = await waitForQuiescence(await stack.temporalClient(), plan.quiescenceMs);
    say(quiet === undefined ? 'transactions still running at the deadline' : 'quiescent; checking');
    const result = await check(stack, model);
    const apiConnections = stack.apiConnections();
    if (apiConnections.some((connections) => connections === 0)) {
      result.problems.push({
        kind: 'unexercised',
        message: `an API process took no channel connection (${apiConnections.join(', ')}): several instances were not tested`,
      });
    }
    if (quiet === undefined) {
      result.problems.push({
        kind: 'unsettled',
        message: `transactions still running ${plan.quiescenceMs} ms after the load`,
      });
    }
    const table = report({
      size,
      instances,
      apiWorker,
      loadSeconds,
      lanes: plan.lanes,
      quiescenceSeconds: quiet === undefined ? undefined : Math.round(quiet / 1_000),
      totalSeconds: elapsed(),
      faults: faults.counts,
      apiConnections,
      counts: model.counts,
      channel: channel.stats,
      check: result,
      drains,
    });
    passed = result.problems.length === 0;
    return { problems: result.problems, table: passed ? table : `${table}\n\nProcess logs: ${logDir}` };
  } finally {
    // FAULTS_KEEP=true keeps the database and Temporal's file of a failed run, to look into.
    const kept = await stack.stop(!passed && process.env.FAULTS_KEEP === 'true');
    if (kept) say(`kept ${kept} (a workflow's history: tsx scripts/faults/inspect.ts <file> <workflow id>)`);
    // The processes' logs are kept when something went wrong, for their own account of it.
    if (passed) rmSync(logDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const databaseUrl = process.env.FAULTS_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!databaseUrl) {
    console.error(
      'Set FAULTS_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server the suite may create a database on.',
    );
    process.exit(2);
  }
  const size: SuiteSize = process.argv.includes('--short') ? 'short' : 'full';
  const instancesArg = process.argv.indexOf('--instances');
  const instances = instancesArg === -1 ? 1 : Number(process.argv[instancesArg + 1]);
  if (!Number.isInteger(instances) || instances < 1) {
    console.error('--instances takes a whole number of API and worker processes, 1 or more.');
    process.exit(2);
  }
  const apiWorker = process.argv.includes('--api-worker');
  const { problems, table } = await runFaultSuite({ size, databaseUrl, instances, apiWorker });
  console.log(`\n${table}`);
  process.exit(problems.length === 0 ? 0 : 1);
}
