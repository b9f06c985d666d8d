import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { DevServerOptions } from '../../src/temporal/dev-server';
import { freePort } from '../../test/helpers/ports';

/** A process of the stack under test, measured from /proc (Linux). */
export interface Measured {
  name: string;
  pid: number;
}

export interface ProcessFigures {
  name: string;
  /** Average CPU over the window, in percent of one core. */
  cpuPercent: number;
  maxRssMiB: number;
}

const ticksPerSecond = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  // Fields after the command name (which may contain spaces): utime is 14th, stime 15th overall.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Samples CPU and RSS of each process once a second until `stop()`. */
export function sampleProcesses(processes: Measured[]) {
  const started = performance.now();
  const firstTicks = new Map(processes.map((p) => [p.pid, safe(() => cpuTicks(p.pid))]));
  const maxRss = new Map(processes.map((p) => [p.pid, safe(() => rssMiB(p.pid))]));
  const timer = setInterval(() => {
    for (const p of processes)
      maxRss.set(
        p.pid,
        Math.max(
          maxRss.get(p.pid) ?? 0,
          safe(() => rssMiB(p.pid)),
        ),
      );
  }, 1000);
  return {
    stop(): ProcessFigures[] {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      return processes.map((p) => {
        const ticks = safe(() => cpuTicks(p.pid)) - (firstTicks.get(p.pid) ?? 0);
        const rss = Math.max(
          maxRss.get(p.pid) ?? 0,
          safe(() => rssMiB(p.pid)),
        );
        return {
          name: p.name,
          cpuPercent: Math.round((ticks / ticksPerSecond / seconds) * 1000) / 10,
          maxRssMiB: Math.round(rss),
        };
      });
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
