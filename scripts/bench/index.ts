/**
 * `npm run bench [-- --quick | --probe | --codec | --login-flood | --overload]`: how fast the switch provisions,
 * beside the direct path to the provider simulator and the Temporal floor (the cheapest provision
 * Temporal allows, on the same dev server and simulator: see floor/), and how `npm run dev` does
 * against the production shape. Starts the stack as separate processes (Temporal dev server,
 * simulator, worker, API, the floor's, and `npm run dev` with a dev server of its own) unless
 * BENCH_API_URL and BENCH_SIMULATOR_URL name a running one (then the floor runs only if
 * TEMPORAL_ADDRESS names its Temporal, and `npm run dev` not at all), drives provisions through the
 * channel API, the floor and the same load straight to the simulator, and writes
 * bench-results/<time>.json and bench-results/latest.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../src/temporal/dev-server';
import { measureCodec } from './codec';
import { startDev } from './dev';
import { type Floor, type FloorShape, floorShapes, startFloor } from './floor';
import { benchProvisionsOpenForMs } from './floor/workflow';
import {
  atConcurrency,
  atRate,
  figuresOf,
  type LoadFigures,
  type LoadSample,
  sampleAtConcurrency,
  sampleAtRate,
  type Target,
} from './load';
import { type LoginFloodFigures, loginFlood } from './login-flood';
import {
  databaseOnThisMachine,
  groupVisible,
  type Measured,
  machine,
  mergeProcessFigures,
  openFileLimit,
  type ProcessFigures,
  sampleProcesses,
  stackLayout,
  startNode,
  waitForHttp,
} from './processes';
import { salesAtRate } from './sales';

const quick = process.argv.includes('--quick');
/** `--probe`: only the switch and the floor at c=8 and at 50/s, taken in turns, for trying one lever against another. */
const probe = process.argv.includes('--probe');
/** `--login-flood`: only the login flood, with the login guard off and on. */
const floodOnly = process.argv.includes('--login-flood');
/**
 * `--overload`: only the switch at three to five times what it serves, from as many connections
 * as the load needs (many channels at once), to see what is answered in time and what is turned away.
 */
const overloadOnly = process.argv.includes('--overload');
/** `--untuned`: the dev server as the Temporal CLI configures it, to measure what `devServerTuning` gains. */
const untuned = process.argv.includes('--untuned');
const cliDefaults = {
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  'matching.numTaskqueueReadPartitions': 4,
  'matching.numTaskqueueWritePartitions': 4,
};
const plan = quick
  ? { seconds: 5, rateSeconds: 10, sustainedSeconds: 15, openProvisions: 1_000 }
  : { seconds: 20, rateSeconds: 60, sustainedSeconds: 60, openProvisions: 10_000 };
const concurrencies = [1, 8, 32, 64];
/** `--probe` takes each load in turns: this many of this many seconds per target. */
const probeTurns = 4;
const probeStretchSeconds = 5;
const demoChannel = { id: '22222222', password: 'password' };

const example = JSON.parse(
  readFileSync(new URL('../../test/fixtures/contract/ProvisionRequest.json', import.meta.url), 'utf8'),
);

const hasVoucher = (status: number, body: string) => {
  if (status !== 201) return false;
  const code = (JSON.parse(body) as { voucher?: { code?: unknown } }).voucher?.code;
  return typeof code === 'string' && code.length > 0;
};

function switchTarget(apiUrl: string): Target {
  const authorization = `Basic ${Buffer.from(`${demoChannel.id}:${demoChannel.password}`).toString('base64')}`;
  return {
    url: apiUrl,
    path: '/suv/v1/vouchers',
    headers: { 'content-type': 'application/json', authorization },
    body: () => JSON.stringify({ ...example, id: randomUUID() }),
    check: hasVoucher,
  };
}

/** The floor's HTTP server: the same order as the direct path, answered with the simulator's own answer. */
function floorTarget(floorUrl: string): Target {
  return { ...directTarget(floorUrl), path: '/provisions' };
}

function directTarget(simulatorUrl: string): Target {
  return {
    url: simulatorUrl,
    path: '/providers/flash/vouchers',
    headers: { 'content-type': 'application/json' },
    body: () => JSON.stringify({ reference: randomUUID(), channelMessageId: randomUUID() }),
    check: hasVoucher,
  };
}

interface Stack {
  apiUrl: string;
  /** `switch-eager`: an API process with its own worker (API_WORKER), alone on a task queue of its own. */
  eagerApiUrl?: string;
  /** `dev`: `npm run dev`, with its own dev server and PGlite. */
  devUrl?: string;
  simulatorUrl: string;
  temporalAddress?: string;
  /** A directory of the run's own, for processes started later. */
  dir?: string;
  /** The Temporal floor's processes, when the stack's Temporal is known. */
  floor?: Floor;
  processes: Measured[];
  stop(): Promise<void>;
}

/**
 * PostgreSQL's processes as one (`postgres`), when DATABASE_URL names a server on this machine:
 * the switch's reporting copy is there, and its CPU is part of what a provision costs (the floor
 * does not use it). Every postgres process on the machine counts, whoever its client. A server
 * out of sight is said to be left out, not counted as 0.
 */
function databaseProcesses(): Measured[] {
  const url = process.env.DATABASE_URL;
  if (!url) return []; // PGlite: inside the switch's own processes
  const here = databaseOnThisMachine(url);
  if (here && groupVisible('postgres')) return [{ name: 'postgres', comm: 'postgres' }];
  const why = here ? 'no postgres process is visible in /proc' : 'DATABASE_URL names a server on another machine';
  console.log(`PostgreSQL's CPU is not counted: ${why}.`);
  return [];
}

/** The stack as separate processes, each on a free port, the reporting copy in PGlite (or DATABASE_URL). */
async function startStack(withFloor: boolean): Promise<Stack> {
  if (process.env.BENCH_API_URL && process.env.BENCH_SIMULATOR_URL) {
    const temporalAddress = process.env.TEMPORAL_ADDRESS;
    const simulatorUrl = process.env.BENCH_SIMULATOR_URL;
    // The floor must run on the stack's own Temporal: without its address, no floor.
    const floor = withFloor && temporalAddress ? await startFloor({ temporalAddress, simulatorUrl }) : undefined;
    return {
      apiUrl: process.env.BENCH_API_URL,
      simulatorUrl,
      temporalAddress,
      floor,
      processes: [...databaseProcesses(), ...(floor?.processes ?? [])],
      stop: async () => {
        await floor?.stop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'voucher-bench-'));
  const layout = await stackLayout(dir);
  const temporal = await startDevServer({ ...layout.temporal, dynamicConfig: untuned ? cliDefaults : undefined });
  const { simulatorUrl, simulatorPort, apiUrl, apiPort, eagerApiUrl, eagerApiPort } = layout;
  const common = {
    TEMPORAL_ADDRESS: temporal.address,
    PROVIDER_SIM_URL: simulatorUrl,
    PROVIDER_SIM_PORT: String(simulatorPort),
    LOG_LEVEL: 'warn',
    // Never confirmed, each provision would be reversed at its deadline: in a full run, the
    // reversals of the first phases landed in the later ones (the floor's timers too).
    CONFIRMATION_DEADLINE_MS: String(benchProvisionsOpenForMs),
  };
  // Two processes cannot share one PGlite directory: without PostgreSQL each has its own.
  const store = (name: string): Record<string, string> =>
    process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { PGLITE_DIR: join(dir, name) };
  const simulator = startNode('simulator', 'src/providers/simulator/main.ts', common);
  const worker = startNode('worker', 'src/worker.ts', { ...common, ...store('worker-pglite') });
  const api = startNode('api', 'src/server.ts', {
    ...common,
    ...store('api-pglite'),
    PORT: String(apiPort),
    ALLOW_PLAIN_HTTP: 'true',
    RATE_LIMIT_PER_SECOND: '0',
  });
  // The same switch as one process per instance: it serves HTTP and runs the workflows it starts.
  const eagerApi = startNode('api-eager', 'src/server.ts', {
    ...common,
    ...store('api-eager-pglite'),
    PORT: String(eagerApiPort),
    ALLOW_PLAIN_HTTP: 'true',
    RATE_LIMIT_PER_SECOND: '0',
    API_WORKER: 'true',
    TEMPORAL_TASK_QUEUE: 'voucher-switch-eager',
    TEMPORAL_SDK_METRICS_PORT: '0',
  });
  const children = [api, worker, eagerApi, simulator];
  async function stopChildren() {
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of running) child.kill('SIGTERM');
    await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  let floor: Floor | undefined;
  let dev: Awaited<ReturnType<typeof startDev>> | undefined;
  try {
    [floor] = await Promise.all([
      // Same dev server, same simulator; its workflow bundles build while the switch starts.
      withFloor ? startFloor({ temporalAddress: temporal.address, simulatorUrl }) : undefined,
      waitForHttp(`${simulatorUrl}/health`),
      waitForHttp(`${apiUrl}/health`),
      waitForHttp(`${eagerApiUrl}/ready`),
    ]);
    // Stops itself if it does not come up.
    dev = withFloor ? await startDev(dir) : undefined;
  } catch (error) {
    await floor?.stop();
    await stopChildren();
    throw error;
  }
  return {
    apiUrl,
    eagerApiUrl,
    devUrl: dev?.url,
    simulatorUrl,
    temporalAddress: temporal.address,
    dir,
    floor,
    processes: [
      { name: 'api', pid: api.pid as number },
      { name: 'worker', pid: worker.pid as number },
      { name: 'api-eager', pid: eagerApi.pid as number },
      { name: 'simulator', pid: simulator.pid as number },
      ...(temporal.pid ? [{ name: 'temporal', pid: temporal.pid }] : []),
      ...databaseProcesses(),
      ...(floor?.processes ?? []),
      ...(dev?.processes ?? []),
    ],
    async stop() {
      await floor?.stop(); // before the dev server goes
      await dev?.stop();
      await stopChildren();
    },
  };
}

/** `switch`: API and worker processes apart, update-with-start; `switch-eager`: one process, eager start. */
type SwitchShape = 'switch' | 'switch-eager';
const switchShapes: SwitchShape[] = ['switch', 'switch-eager'];

interface Run {
  phase: string;
  target: SwitchShape | 'direct' | FloorShape | 'dev';
  load: string;
  figures: LoadFigures;
  processes: ProcessFigures[];
  openWorkflows?: number;
}

async function main() {
  const stack = await startStack(!floodOnly && !overloadOnly); // neither has a use for the floor
  const temporal =
    stack.temporalAddress && new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
  const openWorkflows = async () =>
    temporal ? (await temporal.workflow.count('ExecutionStatus="Running"')).count : undefined;
  const runs: Run[] = [];
  const floods: LoginFloodFigures[] = [];
  const floor = stack.floor;
  const targets: Partial<Record<Run['target'], Target>> = {
    switch: switchTarget(stack.apiUrl),
    ...(stack.eagerApiUrl && { 'switch-eager': switchTarget(stack.eagerApiUrl) }),
    ...(stack.devUrl && { dev: switchTarget(stack.devUrl) }),
    direct: directTarget(stack.simulatorUrl),
    ...(floor && { floor: floorTarget(floor.urls.floor), 'floor-eager': floorTarget(floor.urls['floor-eager']) }),
  };
  /** Each load runs on these one after the other, so that each meets the server in the same state. */
  const compared = (['direct', ...switchShapes, ...floorShapes] as const).filter((target) => targets[target]);
  let eagerStarts: { eager: number; notEager: number } | undefined;

  /** Runs `drive` on `target`, if this run has it (the floor needs the stack's Temporal). */
  async function measure(
    phase: string,
    target: Run['target'],
    load: string,
    drive: (t: Target) => Promise<LoadFigures>,
  ) {
    const driven = targets[target];
    if (!driven) return;
    const sampler = sampleProcesses(stack.processes);
    const figures = await drive(driven);
    record({ phase, target, load, figures, processes: sampler.stop(), openWorkflows: await openWorkflows() });
  }

  function record(run: Run) {
    runs.push(run);
    const { phase, target, load, figures } = run;
    const { latencyMs: l } = figures;
    console.log(
      `${phase.padEnd(12)} ${target.padEnd(11)} ${load.padEnd(10)} ${String(figures.throughputPerSecond).padStart(7)}/s` +
        `  p50 ${l.p50} p99 ${l.p99} max ${l.max} ms  errors ${errorsText(figures)}`,
    );
    for (const error of figures.sampleErrors) console.log(`    ${error}`);
  }

  /**
   * One load on every target but the direct path, in turns of a few seconds each, as one run per
   * target: a shared machine whose speed drifts during the run slows every target alike, so the
   * ratios between them hold where figures taken one target after the other did not.
   */
  async function interleaved(
    phase: string,
    load: string,
    drive: (t: Target) => Promise<LoadSample>,
    among: Run['target'][] = compared.filter((t) => t !== 'direct'),
  ) {
    const turns = new Map<Run['target'], { sample: LoadSample; processes: ProcessFigures[] }[]>();
    for (let turn = 0; turn < probeTurns; turn++) {
      for (const target of among.filter((t) => targets[t])) {
        const sampler = sampleProcesses(stack.processes);
        const sample = await drive(targets[target] as Target);
        turns.set(target, [...(turns.get(target) ?? []), { sample, processes: sampler.stop() }]);
      }
    }
    for (const [target, taken] of turns) {
      const figures = figuresOf(taken.map((t) => t.sample));
      const processes = mergeProcessFigures(taken.map((t) => ({ seconds: t.sample.seconds, processes: t.processes })));
      record({ phase, target, load, figures, processes, openWorkflows: await openWorkflows() });
    }
  }

  try {
    console.log(
      `Machine: ${JSON.stringify(machine())}${quick ? ' (quick run)' : ''}${untuned ? ' (dev server untuned)' : ''}`,
    );
    const channelApi = targets.switch as Target;
    await atConcurrency(channelApi, 8, 3); // warm-up: JIT, connections, catalogue
    if (floodOnly) {
      await loginFloods();
      return;
    }
    if (overloadOnly) {
      await overload();
      return;
    }
    for (const shape of ['switch-eager', 'dev', ...floorShapes] as const) {
      const target = targets[shape];
      if (target) await atConcurrency(target, 8, 3); // warm-up: JIT, connections, workflow cache
    }
    // The two-command start against the production shape, both in turns at c=32.
    const devAgainstProduction = () =>
      interleaved('dev', 'c=32', (t) => sampleAtConcurrency(t, 32, probeStretchSeconds), ['switch', 'dev']);
    if (probe) {
      await interleaved('concurrency', 'c=8', (t) => sampleAtConcurrency(t, 8, probeStretchSeconds));
      await interleaved('rate', '50/s', (t) => sampleAtRate(t, 50, probeStretchSeconds));
      await devAgainstProduction();
      // The capacity model's sale: provision, confirmation, redemption, its confirmation.
      await measure('sales', 'switch', '5 sales/s', () => salesAtRate(stack.apiUrl, 5, 20));
      return;
    }
    for (const c of concurrencies) {
      for (const target of compared) {
        await measure('concurrency', target, `c=${c}`, (t) => atConcurrency(t, c, plan.seconds));
      }
    }
    for (const target of compared) await measure('rate', target, '50/s', (t) => atRate(t, 50, plan.rateSeconds));
    await devAgainstProduction();
    await measure('sustained', 'switch', '150/s', (t) => atRate(t, 150, plan.sustainedSeconds));

    // The scale case: many dual-messaging provisions left awaiting their confirmation.
    const started = performance.now();
    const filled = await atConcurrency(channelApi, 32, Number.POSITIVE_INFINITY, plan.openProvisions);
    const took = Math.round((performance.now() - started) / 1000);
    console.log(`scale        ${filled.requests} provisions left open in ${took} s (${filled.errors} errors)`);
    await measure('scale', 'switch', '50/s', (t) => atRate(t, 50, plan.rateSeconds));
    // Last: a switch that falls behind leaves its reversals to whatever comes next.
    await overload();

    await loginFloods();
  } finally {
    eagerStarts = await floor?.eagerStarts();
    await stack.stop();
    report(runs, floods, eagerStarts);
  }

  /**
   * 150/s offered with a connection for every request the channels' timeout could hold (30 s
   * of them), so that nothing waits in this client: the switch alone decides what it takes.
   */
  async function overload() {
    const wanted = 150 * 35;
    // Each connection is a socket here and another in the API, both under `ulimit -n`: past it,
    // the sockets could not be opened and their requests would count as the switch's failures.
    const limit = openFileLimit();
    const connections = Math.min(wanted, limit - 512);
    if (connections < wanted) {
      console.warn(`overload: ulimit -n ${limit} allows ${connections} connections of the ${wanted} wanted`);
    }
    const load = connections < wanted ? `150/s, ${connections} connections` : '150/s open';
    await measure('overload', 'switch', load, (t) => atRate(t, 150, plan.sustainedSeconds, connections));
  }

  async function loginFloods() {
    if (stack.temporalAddress && stack.dir) {
      for (const guard of ['off', 'on'] as const) {
        const flood = await loginFlood({
          guard,
          temporalAddress: stack.temporalAddress,
          simulatorUrl: stack.simulatorUrl,
          dir: stack.dir,
        });
        floods.push(flood);
        const { latencyMs: l } = flood.firstLogins;
        console.log(
          `login flood  guard ${guard.padEnd(3)}  first logins p50 ${l.p50} p99 ${l.p99} max ${l.max} ms, errors ${flood.firstLogins.errors}` +
            `; flood ${flood.flood.perSecond}/s, ${flood.flood.refusedBeforeHashing} of ${flood.flood.requests} refused before hashing`,
        );
      }
    }
  }
}

const isSwitch = (target: Run['target']): target is SwitchShape => (switchShapes as string[]).includes(target);

type EagerStarts = { eager: number; notEager: number } | undefined;

/** The count of wrong answers, and what they were when there are any: `120 (429: 100, 504: 20)`. */
function errorsText({ errors, errorsByKind }: LoadFigures): string {
  const kinds = Object.entries(errorsByKind).map(([kind, count]) => `${kind}: ${count}`);
  return kinds.length > 0 ? `${errors} (${kinds.join(', ')})` : String(errors);
}

function report(runs: Run[], floods: LoginFloodFigures[], eagerStarts: EagerStarts) {
  const at = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync('bench-results', { recursive: true });
  const result = { machine: machine(), quick, plan, runs, floods, eagerStarts };
  writeFileSync(join('bench-results', `${at}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const markdown = markdownReport(runs, floods, eagerStarts);
  writeFileSync(join('bench-results', 'latest.md'), markdown);
  console.log(`\n${markdown}`);
}

function markdownReport(runs: Run[], floods: LoginFloodFigures[], eagerStarts: EagerStarts): string {
  const m = machine();
  const lines = [
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}${quick ? '; quick run' : ''}${untuned ? '; dev server untuned' : ''}`,
    '',
    '| Phase | Target | Load | Throughput /s | p50 ms | p90 ms | p99 ms | max ms | Errors | Open workflows |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs
      .map(({ phase, target, load, figures: f, openWorkflows }) =>
        [
          phase,
          target,
          load,
          f.throughputPerSecond,
          f.latencyMs.p50,
          f.latencyMs.p90,
          f.latencyMs.p99,
          f.latencyMs.max,
          errorsText(f),
          openWorkflows ?? '',
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    "Open workflows: the dev server's running workflows after the run, the floor's included.",
    '',
    'Switch beside the direct path (same load straight to the simulator):',
    '',
    '| Load | Throughput ratio | Added p50 ms | Added p99 ms |',
    '|---|---:|---:|---:|',
  ];
  for (const run of runs.filter((r) => isSwitch(r.target) && r.phase !== 'sustained' && r.phase !== 'scale')) {
    const direct = runs.find((r) => r.target === 'direct' && r.load === run.load);
    if (!direct) continue;
    const ratio = direct.figures.throughputPerSecond
      ? Math.round((run.figures.throughputPerSecond / direct.figures.throughputPerSecond) * 100) / 100
      : 0;
    const added = (p: 'p50' | 'p99') => Math.round((run.figures.latencyMs[p] - direct.figures.latencyMs[p]) * 10) / 10;
    lines.push(`| ${run.load} | ${ratio} | ${added('p50')} | ${added('p99')} |`);
  }
  const floorRows = runs.flatMap((run) =>
    isSwitch(run.target) && run.phase !== 'sales'
      ? floorShapes.flatMap((shape) => {
          const floor = runs.find((r) => r.target === shape && r.phase === run.phase && r.load === run.load);
          return floor ? [{ run, shape, floor }] : [];
        })
      : [],
  );
  if (floorRows.length > 0) {
    /** switch / floor, two decimals; blank where the floor's figure is 0. */
    const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 100) / 100 : '');
    lines.push(
      '',
      "Switch against the Temporal floor (same run): the switch's figure divided by the floor's (`floor`: update-with-start, worker apart; `floor-eager`: eager start then the update, worker in the HTTP process):",
      '',
      '| Load | Switch | Floor | Throughput ratio | p50 ratio | p99 ratio |',
      '|---|---|---|---:|---:|---:|',
      ...floorRows.map(({ run, shape, floor }) => {
        const [s, f] = [run.figures, floor.figures];
        return `| ${run.load} | ${run.target} | ${shape} | ${ratio(s.throughputPerSecond, f.throughputPerSecond)} | ${ratio(s.latencyMs.p50, f.latencyMs.p50)} | ${ratio(s.latencyMs.p99, f.latencyMs.p99)} |`;
      }),
    );
    if (eagerStarts) {
      const all = eagerStarts.eager + eagerStarts.notEager;
      lines.push('', `floor-eager: ${eagerStarts.eager} of ${all} starts ran eagerly (warm-up included).`);
    }
  }
  const devRun = runs.find((run) => run.phase === 'dev' && run.target === 'dev');
  const productionRun = runs.find((run) => run.phase === 'dev' && run.target === 'switch');
  if (devRun && productionRun) {
    const [d, p] = [devRun.figures, productionRun.figures];
    const ratio = (a: number, b: number) => (b ? (a / b).toFixed(2) : '');
    lines.push(
      '',
      `\`npm run dev\` (one process, PGlite, its own dev server) against the production shape (API and worker apart) at c=32, in turns: throughput ${d.throughputPerSecond}/s against ${p.throughputPerSecond}/s, a ratio of ${ratio(d.throughputPerSecond, p.throughputPerSecond)}; p50 ${d.latencyMs.p50} against ${p.latencyMs.p50} ms.`,
    );
  }
  const steady = runs.filter((run) => (run.phase === 'rate' && run.target !== 'direct') || run.phase === 'sales');
  if (steady.length > 0) {
    // The capacity model's inputs (README, Production-like deployment): what one provision costs each process.
    // PostgreSQL, when measured, is the same server for all: the floors' figure (about 0) shows that only the switch uses it.
    const measuresPostgres = steady.some((run) => run.processes.some((p) => p.name === 'postgres'));
    const costNames = ['api', 'worker', 'temporal', ...(measuresPostgres ? ['postgres'] : [])];
    lines.push(
      '',
      'CPU per provision at 50/s, and per sale (provision, confirmation, redemption, its confirmation) at 5/s, in ms of one core: the capacity model’s inputs:',
      '',
      `| Target | Per second | ${costNames.join(' | ')} | together |`,
      `|---|---:|${costNames.map(() => '---:').join('|')}|---:|`,
      ...steady.map((run) => {
        const perProvision = (cpuPercent: number) => (cpuPercent * 10) / run.figures.throughputPerSecond;
        // The floor's own API and worker processes (floor-eager: one process for both, in the api
        // column); Temporal and PostgreSQL are the same server for all.
        const processName = (name: string) => {
          if (run.target === 'switch' || name === 'temporal' || name === 'postgres') return name;
          if (run.target === 'switch-eager') return name === 'api' ? 'api-eager' : '';
          if (run.target === 'floor-eager') return name === 'api' ? 'floor-eager' : '';
          return `floor-${name}`;
        };
        const costs = costNames.map((name) => run.processes.find((p) => p.name === processName(name)));
        const cells = costs.map((p) => (p ? perProvision(p.cpuPercent).toFixed(1) : ''));
        const all = perProvision(costs.reduce((sum, p) => sum + (p?.cpuPercent ?? 0), 0));
        const label = run.phase === 'sales' ? `${run.target}, per sale` : run.target;
        return `| ${label} | ${run.figures.throughputPerSecond} | ${cells.join(' | ')} | ${all.toFixed(1)} |`;
      }),
    );
  }
  lines.push('', 'CPU (% of one core) and peak RSS (MiB) per process:', '');
  const names = [...new Set(runs.flatMap((r) => r.processes.map((p) => p.name)))];
  lines.push(`| Phase | Target | Load | ${names.join(' | ')} |`, `|---|---|---|${names.map(() => '---:').join('|')}|`);
  for (const run of runs) {
    const cells = names.map((name) => {
      const p = run.processes.find((x) => x.name === name);
      return p ? `${p.cpuPercent}% / ${p.maxRssMiB}` : '';
    });
    lines.push(`| ${run.phase} | ${run.target} | ${run.load} | ${cells.join(' | ')} |`);
  }
  if (floods.length > 0) {
    lines.push(
      '',
      "Login flood: other channels' first logins while one channel's id takes wrong passwords from another address:",
      '',
      '| Login guard | First logins p50 ms | p99 ms | max ms | Errors | Flood /s | Refused before hashing |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...floods.map(
        ({ guard, firstLogins: f, flood }) =>
          `| ${guard} | ${f.latencyMs.p50} | ${f.latencyMs.p99} | ${f.latencyMs.max} | ${f.errors} | ${flood.perSecond} | ${flood.refusedBeforeHashing} of ${flood.requests} |`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv.includes('--codec')) {
  const codec = await measureCodec();
  console.log(
    `Payload codec (AES-256-GCM): a confirmed provision's ${codec.encryptedPayloads} encrypted payloads ` +
      `(of ${codec.payloads}; ${codec.plainBytes} bytes in clear) cost ${codec.microsecondsPerProvision} µs of CPU ` +
      'to encrypt and decrypt once each.',
  );
} else {
  await main();
}
process.exit(0);
