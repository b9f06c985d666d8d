import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { DevServerOptions } from '../../src/temporal/dev-server';
import { freePort } from '../../test/helpers/ports';

/** What the bench measures from /proc (Linux): one process of the stack under test, or a group of them. */
export type Measured = MeasuredProcess | MeasuredGroup;

export interface MeasuredProcess {
  name: string;
  pid: number;
}

/**
 * Every process on the machine whose `/proc/<pid>/comm` is `comm`, as one: a server that forks a
 * process per connection (PostgreSQL: the postmaster and its backends, which come and go).
 */
export interface MeasuredGroup {
  name: string;
  comm: string;
}

export interface ProcessFigures {
  name: string;
  /** Average CPU over the window, in percent of one core. */
  cpuPercent: number;
  maxRssMiB: number;
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces): the 3rd field overall is [0]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function cpuTicks(pid: number): number {
  const fields = statFields(pid); // utime is the 14th field overall, stime the 15th
  return Number(fields[11]) + Number(fields[12]);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

interface GroupMember {
  pid: number;
  ppid: number;
  ticks: number;
}

/**
 * The processes whose comm is `comm` now, by pid and start time (a pid the kernel hands out again
 * is another process), with their CPU ticks so far. One that ends while it is read is left out.
 */
function groupMembers(comm: string): Map<string, GroupMember> {
  const members = new Map<string, GroupMember>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd() !== comm) continue;
      const fields = statFields(pid); // ppid is the 4th field overall, starttime the 22nd
      members.set(`${pid}@${fields[19]}`, {
        pid,
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // ended between the listing and the read
    }
  }
  return members;
}

/** The CPU ticks one measured entry has used since it was made, and its RSS now. */
interface Meter {
  ticksSince(): number;
  rssMiB(): number;
}

function meterOf(measured: Measured): Meter {
  if ('pid' in measured) {
    const { pid } = measured;
    const first = safe(() => cpuTicks(pid));
    return { ticksSince: () => safe(() => cpuTicks(pid)) - first, rssMiB: () => safe(() => rssMiB(pid)) };
  }
  const first = groupMembers(measured.comm);
  return {
    // Only the processes there at the end count: each from its ticks at the start, or from 0 if it
    // started during the window. One that ended during the window takes its ticks with it, so
    // the figure can fall short, never run over (a PostgreSQL backend that served a connection
    // and ended is lost). Each difference is at least 0, so that no process takes from another.
    ticksSince: () => {
      let ticks = 0;
      for (const [key, member] of groupMembers(measured.comm)) {
        ticks += Math.max(0, member.ticks - (first.get(key)?.ticks ?? 0));
      }
      return ticks;
    },
    // The RSS of the group's roots only (its members whose parent is not a member: PostgreSQL's
    // postmaster). Summed over the backends, the shared memory each has touched (shared buffers)
    // would count once per backend; the postmaster's own falls short of the server's memory instead.
    rssMiB: () => {
      const members = [...groupMembers(measured.comm).values()];
      const pids = new Set(members.map((m) => m.pid));
      return members.filter((m) => !pids.has(m.ppid)).reduce((sum, m) => sum + safe(() => rssMiB(m.pid)), 0);
    },
  };
}

/** Whether a process whose comm is `comm` can be seen in /proc now (another user's may be hidden: `hidepid`). */
export function groupVisible(comm: string): boolean {
  return groupMembers(comm).size > 0;
}

/**
 * Whether the PostgreSQL server `url` names runs on this machine, where /proc shows its processes:
 * every host a loopback address or `localhost`, or a unix socket (a path, in the host or in
 * `?host=`; or no host, which postgres.js takes as PGHOST or localhost, libpq as PGHOST or the
 * local socket). Any other name, this machine's own included, counts as another machine.
 */
export function databaseOnThisMachine(url: string): boolean {
  const queryAt = url.indexOf('?');
  const socket = queryAt >= 0 ? new URLSearchParams(url.slice(queryAt + 1)).get('host') : null;
  const authority = /^[a-z]+:\/\/([^/?]*)/i.exec(url)?.[1];
  if (authority === undefined) return false;
  const named = socket ?? authority.slice(authority.lastIndexOf('@') + 1);
  const hosts = (named === '' ? (process.env.PGHOST ?? '') : named).split(',').map((host) => {
    const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
    return name.replace(/%2f/gi, '/').toLowerCase();
  });
  return hosts.every(
    (host) => host === '' || host.startsWith('/') || host === 'localhost' || host === '::1' || /^127\./.test(host),
  );
}

/** Samples CPU and RSS of each process (or group) once a second until `stop()`. */
export function sampleProcesses(processes: Measured[]) {
  const started = performance.now();
  const meters = processes.map((p) => ({ name: p.name, meter: meterOf(p), maxRss: 0 }));
  const sampleRss = () => {
    for (const m of meters) m.maxRss = Math.max(m.maxRss, m.meter.rssMiB());
  };
  sampleRss();
  const timer = setInterval(sampleRss, 1000);
  return {
    stop(): ProcessFigures[] {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const ticks = meters.map((m) => m.meter.ticksSince());
      sampleRss();
      return meters.map(({ name, maxRss }, i) => ({
        name,
        cpuPercent: Math.round(((ticks[i] ?? 0) / ticksPerSecond / seconds) * 1000) / 10,
        maxRssMiB: Math.round(maxRss),
      }));
    },
  };
}

/** Per process, stretches of one load taken apart as one window: CPU weighted by each stretch's length, the highest RSS. */
export function mergeProcessFigures(stretches: { seconds: number; processes: ProcessFigures[] }[]): ProcessFigures[] {
  const total = stretches.reduce((sum, s) => sum + s.seconds, 0);
  const names = stretches[0]?.processes.map((p) => p.name) ?? [];
  return names.map((name) => {
    const each = stretches.map((s) => ({ seconds: s.seconds, figures: s.processes.find((p) => p.name === name) }));
    const cpu = each.reduce((sum, e) => sum + (e.figures?.cpuPercent ?? 0) * e.seconds, 0) / total;
    return {
      name,
      cpuPercent: Math.round(cpu * 10) / 10,
      maxRssMiB: Math.max(...each.map((e) => e.figures?.maxRssMiB ?? 0)),
    };
  });
}

function safe(read: () => number): number {
  try {
    return read();
  } catch {
    return 0; // the process ended
  }
}

export function machine() {
  const cores = cpus();
  return {
    cores: cores.length,
    cpu: cores[0]?.model ?? 'unknown',
    memoryGiB: Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) / 1024 ** 2),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Starts `node --import tsx <entry>` with `env` (and without the variables `unset` names), its output kept for when it fails. */
export function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  unset: string[] = [],
): ChildProcess & { output: string[] } {
  // BENCH_PROFILE=worker (or api, simulator) writes that process's CPU profile into bench-results/.
  const profile = process.env.BENCH_PROFILE === name ? ['--cpu-prof', '--cpu-prof-dir=bench-results'] : [];
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !unset.includes(key)));
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', entry], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  const keep = (chunk: Buffer) => {
    child.output.push(chunk.toString());
    if (child.output.length > 200) child.output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} exited with ${code}:\n${child.output.join('')}`);
  });
  return child;
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Free ports for a stack in `dir`: the Temporal dev server's options (on `dir`/temporal.db), and the simulator's and API's addresses. */
export async function stackLayout(dir: string) {
  const [temporalPort, uiPort, simulatorPort, apiPort, eagerApiPort] = (await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  )) as [number, number, number, number, number];
  const temporal: DevServerOptions & { dbFile: string } = {
    port: temporalPort,
    uiPort,
    namespace: 'default',
    dbFile: join(dir, 'temporal.db'),
    headless: true,
  };
  return {
    temporal,
    simulatorPort,
    simulatorUrl: `http://127.0.0.1:${simulatorPort}`,
    apiPort,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    eagerApiPort,
    eagerApiUrl: `http://127.0.0.1:${eagerApiPort}`,
  };
}

/** The processes `pid` started (its direct children), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return []; // a kernel without the children file: the dev server goes unmeasured
  }
}

/** This process's soft limit on open files (`ulimit -n`), which the stack it starts inherits. */
export function openFileLimit(): number {
  const limit = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return limit === undefined || limit === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit);
}
