import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../../test/helpers/ports';
import { type Measured, startNode, waitForHttp } from '../processes';

/**
 * The Temporal floor beside the switch: the cheapest provision Temporal allows, on the same dev
 * server and simulator. `floor`: update-with-start from an HTTP process, the worker in a process
 * of its own (the switch's shape). `floor-eager`: eager start then the update, the worker inside
 * the HTTP process. Each shape on a task queue of its own.
 */
export type FloorShape = 'floor' | 'floor-eager';
export const floorShapes: FloorShape[] = ['floor', 'floor-eager'];

export interface Floor {
  /** Each shape's HTTP server; POST /provisions. */
  urls: Record<FloorShape, string>;
  processes: Measured[];
  /** How many of the eager shape's starts ran eagerly. */
  eagerStarts(): Promise<{ eager: number; notEager: number } | undefined>;
  stop(): Promise<void>;
}

export async function startFloor(options: { temporalAddress: string; simulatorUrl: string }): Promise<Floor> {
  const run = randomUUID().slice(0, 8);
  const common = {
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE || 'default',
    PROVIDER_SIM_URL: options.simulatorUrl,
  };
  const [floorPort, eagerPort] = [await freePort(), await freePort()];
  const floorQueue = { ...common, FLOOR_TASK_QUEUE: `bench-floor-${run}` };
  const children: [string, ChildProcess][] = [
    ['floor-api', startNode('floor-api', 'scripts/bench/floor/server.ts', { ...floorQueue, PORT: String(floorPort) })],
    ['floor-worker', startNode('floor-worker', 'scripts/bench/floor/worker-main.ts', floorQueue)],
    [
      'floor-eager',
      startNode('floor-eager', 'scripts/bench/floor/server.ts', {
        ...common,
        FLOOR_TASK_QUEUE: `bench-floor-eager-${run}`,
        FLOOR_SHAPE: 'eager',
        PORT: String(eagerPort),
      }),
    ],
  ];
  const urls = { floor: `http://127.0.0.1:${floorPort}`, 'floor-eager': `http://127.0.0.1:${eagerPort}` };
  const stop = () => Promise.all(children.map(([, child]) => stopChild(child))).then(() => undefined);
  try {
    // Healthy once a worker polls its task queue: the workflow bundles are built.
    const exited = children.map(
      ([name, child]) =>
        new Promise<never>((_, reject) =>
          child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) while starting`))),
        ),
    );
    const healthy = Promise.all(Object.values(urls).map((url) => waitForHttp(`${url}/health`, 120_000)));
    await Promise.race([healthy, ...exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls,
    processes: children.map(([name, child]) => ({ name, pid: child.pid as number })),
    async eagerStarts() {
      try {
        const answer = await fetch(`${urls['floor-eager']}/stats`);
        return ((await answer.json()) as { starts: { eager: number; notEager: number } }).starts;
      } catch {
        return undefined;
      }
    },
    stop,
  };
}

/** SIGTERM, then SIGKILL if the process has not gone within ten seconds. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
