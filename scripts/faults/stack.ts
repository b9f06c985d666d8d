import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { loadConfig } from '../../src/config';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import type { Behaviour } from '../../src/providers/simulator/behaviours';
import { createEncryptionCodec } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';
import { type DevServer, startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../test/helpers/ports';
import { withTarget } from '../../test/helpers/postgres';
import { startTcpProxy } from '../../test/helpers/tcp-proxy';
import { stackLayout, startNode, waitForHttp } from '../bench/processes';

/**
 * The switch as production runs it, one process each: the Temporal dev server on a SQLite file,
 * the provider simulator, the worker and the channel API, with the reporting copy in a
 * PostgreSQL database of its own behind a TCP proxy. Every part can be broken and given back.
 */

const entry = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/** Short deadlines, so that timeouts, reversals and unconfirmed provisions all settle within the run. */
export const stackSettings = {
  providerDeadlineMs: 1_500,
  /** Dual messaging: an unconfirmed provision, redemption or refund is reversed after this. */
  confirmationDeadlineMs: 20_000,
  channelResponseTimeoutMs: 5_000,
};

export interface StackOptions {
  /** A PostgreSQL server the suite may create a database on (the database in the URL is only used to connect). */
  databaseUrl: string;
  /**
   * API and worker processes each (1 by default). With more, the channels reach the APIs through a
   * round-robin proxy, as through a load balancer, and every process shares Temporal and PostgreSQL.
   */
  instances?: number;
  /** Every API process runs a worker too and starts its transactions eagerly on it (API_WORKER). */
  apiWorker?: boolean;
  /** Where each process's output goes, one file per process. */
  logDir: string;
  log: (line: string) => void;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack({ databaseUrl, logDir, log, instances = 1, apiWorker = false }: StackOptions) {
  mkdirSync(logDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'voucher-faults-'));
  const database = `faults_${randomUUID().replaceAll('-', '')}`;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database}`);
  const server = new URL(databaseUrl);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  const { temporal: temporalOptions, simulatorPort, simulatorUrl, apiPort: firstApiPort } = await stackLayout(dir);
  const apiPorts = [firstApiPort, ...(await Promise.all(Array.from({ length: instances - 1 }, () => freePort())))];
  const balancer = await startTcpProxy(apiPorts.map((port) => ({ host: '127.0.0.1', port })));
  const apiUrl = `http://127.0.0.1:${balancer.port}`;
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalOptions.port}`,
    PROVIDER_SIM_URL: simulatorUrl,
    PROVIDER_SIM_PORT: String(simulatorPort),
    DATABASE_URL: withTarget(databaseUrl, { database, port: proxy.port }),
    PROVIDER_DEADLINE_MS: String(stackSettings.providerDeadlineMs),
    CONFIRMATION_DEADLINE_MS: String(stackSettings.confirmationDeadlineMs),
    CONFIRMATION_WINDOW_MS: '10000',
    CHANNEL_RESPONSE_TIMEOUT_MS: String(stackSettings.channelResponseTimeoutMs),
    ALLOW_PLAIN_HTTP: 'true',
    RATE_LIMIT_PER_SECOND: '0',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const children = new Set<ChildProcess>();
  let temporal: DevServer | undefined;
  let client: Client | undefined;
  let reporting: ReportingStore | undefined;

  /** Stops everything; `keep` leaves the database and the Temporal file for a look afterwards. */
  async function stop(keep = false): Promise<string | undefined> {
    await client?.connection.close().catch(() => {});
    await reporting?.close().catch(() => {});
    const exits = [...children].map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of children) child.kill('SIGTERM');
    await Promise.race([Promise.all(exits), sleep(15_000)]);
    for (const child of children) child.kill('SIGKILL');
    await temporal?.stop();
    await proxy.close();
    await balancer.close();
    if (!keep) await admin.unsafe(`drop database if exists ${database} with (force)`).catch(() => {});
    await admin.end();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    return keep ? `database ${database}, Temporal file ${temporalOptions.dbFile}` : undefined;
  }

  const spawnNode = (name: string, path: string, extra: Record<string, string> = {}) => {
    const child = startNode(name, entry(path), { ...env, ...extra });
    const file = createWriteStream(join(logDir, `${name}.log`));
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  let workers = 0;
  /** The running workers, oldest first, with their `/metrics` (also `/live`, `/ready`) and the SDK's. */
  const running: { child: ChildProcess; metrics: string; sdkMetrics: string }[] = [];
  /** A new worker process; resolves once it polls (its `worker running` line, logged at info). */
  async function startWorker(): Promise<void> {
    workers += 1;
    // Ports of its own: workers may overlap while one is replaced.
    const [metricsPort, sdkMetricsPort] = await Promise.all([freePort(), freePort()]);
    const child = spawnNode(`worker-${workers}`, 'worker.ts', {
      LOG_LEVEL: 'info',
      METRICS_PORT: String(metricsPort),
      TEMPORAL_SDK_METRICS_PORT: String(sdkMetricsPort),
    });
    const worker = {
      child,
      metrics: `http://127.0.0.1:${metricsPort}/metrics`,
      sdkMetrics: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
    };
    running.push(worker);
    child.once('exit', () => running.splice(running.indexOf(worker), 1));
    await untilOutput(child, 'worker running', 90_000);
  }

  let apis = 0;
  /** The API processes by port, each behind the balancer. */
  const apiProcesses = new Map<number, ChildProcess>();
  /**
   * An API process on `port`; resolves once it is ready (`/ready`: Temporal answers), or with
   * `whileTemporalIsDown`, once it is live.
   */
  async function startApi(port: number, { whileTemporalIsDown = false } = {}): Promise<void> {
    apis += 1;
    const withWorker: Record<string, string> = apiWorker ? { API_WORKER: 'true', TEMPORAL_SDK_METRICS_PORT: '0' } : {};
    apiProcesses.set(port, spawnNode(`api-${apis}`, 'server.ts', { PORT: String(port), ...withWorker }));
    await waitForHttp(`http://127.0.0.1:${port}/${whileTemporalIsDown ? 'live' : 'ready'}`, 90_000);
  }

  try {
    temporal = await startDevServer(temporalOptions);
    spawnNode('simulator', 'providers/simulator/main.ts');
    await waitForHttp(`${simulatorUrl}/health`, 90_000);
    // The worker migrates the new database before the API opens it.
    await startWorker();
    await Promise.all([
      ...Array.from({ length: instances - 1 }, () => startWorker()),
      ...apiPorts.map((port) => startApi(port)),
    ]);
    await waitForHttp(`${apiUrl}/health`, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`stack up: API ${apiUrl}, Temporal ${env.TEMPORAL_ADDRESS} on ${temporalOptions.dbFile}, database ${database}`);

  return {
    apiUrl,
    simulatorUrl,
    config,
    instances,
    apiWorker,
    /** Channel connections the balancer gave each API process, in the order of their ports. */
    apiConnections: () => apiPorts.map((port) => balancer.connectionsTo(port)),
    /** The oldest running worker's `/metrics` and its Temporal SDK's. */
    workerUrls: () => ({ metrics: running[0]?.metrics ?? '', sdkMetrics: running[0]?.sdkMetrics ?? '' }),
    /** Kills the oldest worker outright (SIGKILL), as a crash or an OOM kill would. */
    async killWorker() {
      const victim = running[0]?.child;
      if (victim) await kill(victim);
    },
    startWorker,
    /** Kills an API process outright (SIGKILL) with its requests in flight; resolves with its port. */
    async killApi(): Promise<number> {
      const [port, victim] = [...apiProcesses.entries()].at(-1) as [number, ChildProcess];
      apiProcesses.delete(port);
      await kill(victim);
      return port;
    },
    /** Starts an API process again on `port`, behind the balancer. */
    startApi,
    /** Stops the Temporal server (SIGTERM, SIGKILL after 5 s). */
    async stopTemporal() {
      await temporal?.stop();
      temporal = undefined;
    },
    /** Starts the Temporal server again on the same port and the same database file. */
    async startTemporal() {
      temporal = await startDevServer(temporalOptions);
    },
    cutDatabase: () => proxy.cut(),
    restoreDatabase: () => proxy.restore(),
    simulator: {
      async behave(behaviour: Behaviour) {
        const response = await fetch(`${simulatorUrl}/sim/behaviours`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(behaviour),
        });
        if (response.status !== 204) throw new Error(`the simulator refused ${JSON.stringify(behaviour)}`);
      },
      async reset() {
        await fetch(`${simulatorUrl}/sim/behaviours`, { method: 'DELETE' });
      },
      async ledger(): Promise<LedgerEntry[]> {
        const response = await fetch(`${simulatorUrl}/sim/ledger`);
        return ((await response.json()) as { entries: LedgerEntry[] }).entries;
      },
    },
    /** A Temporal client that reads the switch's encrypted payloads, as the API does. */
    async temporalClient(): Promise<Client> {
      client ??= new Client({
        connection: await Connection.connect({ address: `127.0.0.1:${temporalOptions.port}` }),
        namespace: config.temporal.namespace,
        dataConverter: switchDataConverter(createEncryptionCodec(config.payloadCodec.keys)),
      });
      return client;
    },
    /** The reporting copy, read directly rather than through the proxy. */
    async reportingStore(): Promise<ReportingStore> {
      reporting ??= await openReportingStore({ url: withTarget(databaseUrl, { database }), pgliteDir: 'unused' });
      return reporting;
    },
    stop,
  };
}

/** Kills `child` outright (SIGKILL), as a crash or an OOM kill would; resolves once it is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Resolves once `text` appears in the process's standard output; rejects if it exits first. */
function untilOutput(child: ChildProcess & { output?: string[] }, text: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the process exited with ${code} while starting:\n${child.output?.join('') ?? ''}`));
    };
    child.once('exit', onExit);
    const watch = (chunk: Buffer) => {
      if (!chunk.toString().includes(text)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', watch);
      resolve();
    };
    child.stdout?.on('data', watch);
  });
}
