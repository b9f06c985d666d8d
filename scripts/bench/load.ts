import { Pool } from 'undici';

/** One kind of request the load sends: a fresh body each time, and what makes its answer right. */
export interface Target {
  url: string;
  path: string;
  headers: Record<string, string>;
  body(): string;
  /** The answer is the one a channel expects (not only a 2xx). */
  check(status: number, body: string): boolean;
}

export interface LoadFigures {
  requests: number;
  errors: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The first few wrong answers, to say why. */
  sampleErrors: string[];
  /** Wrong answers by HTTP status (`429`, `504`, …), or `no answer` when the request failed. */
  errorsByKind: Record<string, number>;
}

const errorKind = (error: string) => /^(\d{3}) /.exec(error)?.[1] ?? 'no answer';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** What one stretch of load measured: its latencies (ms) and wrong answers, over `seconds`. */
export interface LoadSample {
  latencies: number[];
  errors: string[];
  seconds: number;
}

/** The figures of a run: its latencies (ms), its wrong answers, over `seconds`. */
export function figures(latencies: number[], errors: string[], seconds: number): LoadFigures {
  return figuresOf([{ latencies, errors, seconds }]);
}

/** The figures of stretches of the same load taken apart (interleaved with other targets'), as one run. */
export function figuresOf(samples: LoadSample[]): LoadFigures {
  const latencies = samples.flatMap((s) => s.latencies);
  const errors = samples.flatMap((s) => s.errors);
  const seconds = samples.reduce((sum, s) => sum + s.seconds, 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests: latencies.length,
    errors: errors.length,
    throughputPerSecond: Math.round(((latencies.length - errors.length) / seconds) * 10) / 10,
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? 0),
    },
    sampleErrors: errors.slice(0, 5),
    errorsByKind: errors.reduce<Record<string, number>>((counts, error) => {
      const kind = errorKind(error);
      counts[kind] = (counts[kind] ?? 0) + 1;
      return counts;
    }, {}),
  };
}

async function send(pool: Pool, target: Target, latencies: number[], errors: string[], startedAt = performance.now()) {
  try {
    const response = await pool.request({
      path: target.path,
      method: 'POST',
      headers: target.headers,
      body: target.body(),
    });
    const text = await response.body.text();
    if (!target.check(response.statusCode, text)) errors.push(`${response.statusCode} ${text.slice(0, 200)}`);
  } catch (error) {
    errors.push((error as Error).message);
  }
  latencies.push(performance.now() - startedAt);
}

/**
 * Closed loop: `concurrency` clients, each sending its next request when its last one is
 * answered, for `seconds` or until `maxRequests` have been sent.
 */
export async function atConcurrency(
  target: Target,
  concurrency: number,
  seconds: number,
  maxRequests = Number.POSITIVE_INFINITY,
): Promise<LoadFigures> {
  return figuresOf([await sampleAtConcurrency(target, concurrency, seconds, maxRequests)]);
}

export async function sampleAtConcurrency(
  target: Target,
  concurrency: number,
  seconds: number,
  maxRequests = Number.POSITIVE_INFINITY,
): Promise<LoadSample> {
  const pool = new Pool(target.url, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end && sent < maxRequests) {
        sent++;
        await send(pool, target, latencies, errors);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { latencies, errors, seconds: elapsed };
}

/**
 * Open loop: requests leave at a fixed rate whatever the answers do, and latency counts from
 * when each was due, so a stall shows in the figures instead of slowing the load down.
 */
export async function atRate(
  target: Target,
  perSecond: number,
  seconds: number,
  connections?: number,
): Promise<LoadFigures> {
  return figuresOf([await sampleAtRate(target, perSecond, seconds, connections)]);
}

/**
 * `connections` bounds the requests waiting at once (by default a second's worth): past it, the
 * rest wait in this client, as behind one channel's connection pool. Many channels together have
 * as many as the load needs: see the overload phase.
 */
export async function sampleAtRate(
  target: Target,
  perSecond: number,
  seconds: number,
  connections = Math.max(8, perSecond),
): Promise<LoadSample> {
  const pool = new Pool(target.url, { connections, pipelining: 1 });
  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const total = Math.round(perSecond * seconds);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(pool, target, latencies, errors, due));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { latencies, errors, seconds: elapsed };
}
