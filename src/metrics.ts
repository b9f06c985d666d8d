import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { providerIds } from './domain/providers';
import { listen, type RunningServer } from './http-server';
import { within } from './within';

/** Store-and-forward advices of one provider, as `safBacklog` (db/queries/operations.ts) counts them. */
export interface SafBacklog {
  /** Null for advices not routed to a provider yet: they wait for no one and are left out. */
  provider: string | null;
  pending: number;
  /** When the oldest pending advice was accepted (ISO 8601); null when none is pending. */
  oldestPendingAt: string | null;
  /** Refused by the provider for good: an operator decides what happens to them. */
  refused: number;
}

/** Unsettled transactions of one type and state, as `openTransactions` counts them. */
export interface OpenTransactions {
  type: string;
  state: string;
  count: number;
}

/** What the metrics read from the reporting copy at every scrape (`reportingFigures` in db/queries/operations.ts). */
export interface ReportingFigures {
  backlog(): Promise<SafBacklog[]>;
  openTransactions(): Promise<OpenTransactions[]>;
}

export interface MetricsOptions {
  /** Read at every scrape; leave it out in a process without the reporting store. */
  reporting?: ReportingFigures;
  now?: () => number;
  /** Node process metrics (`switch_process_…`, `switch_nodejs_…`). */
  processMetrics?: boolean;
}

// Channel answers wait on a provider with a 10 s default deadline; providers answer in well under it.
const channelBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const providerBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The switch's Prometheus metrics in a registry of their own, so a test (or `npm run dev`, which
 * runs the API and the worker in one process) decides what shares one.
 */
export function createMetrics({ reporting, now = Date.now, processMetrics = true }: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'switch_' });

  const metrics = {
    registry,
    channelRequests: new Counter({
      name: 'switch_channel_requests_total',
      help: 'Channel requests by operation, HTTP status and outcome (ok, or the ErrorDetail errorType)',
      labelNames: ['operation', 'status', 'outcome'] as const,
      registers,
    }),
    channelDuration: new Histogram({
      name: 'switch_channel_request_duration_seconds',
      help: 'Time from a channel request to the switch answer',
      labelNames: ['operation'] as const,
      buckets: channelBuckets,
      registers,
    }),
    providerDuration: new Histogram({
      name: 'switch_provider_request_duration_seconds',
      help: 'Time from a provider call to its answer, or to the deadline',
      labelNames: ['provider', 'operation'] as const,
      buckets: providerBuckets,
      registers,
    }),
    providerTimeouts: new Counter({
      name: 'switch_provider_timeouts_total',
      help: 'Provider calls that ended at the deadline without an answer',
      labelNames: ['provider', 'operation'] as const,
      registers,
    }),
    reportingWriteFailures: new Counter({
      name: 'switch_reporting_write_failures_total',
      help: 'Reporting-copy writes that failed: refused for their data (never retried), or the copy unavailable (retried)',
      labelNames: ['reason'] as const,
      registers,
    }),
    providerFailures: new Counter({
      name: 'switch_provider_failures_total',
      help: 'Provider calls that did not succeed, by kind (declined, timeout, error, unavailable)',
      labelNames: ['provider', 'operation', 'kind'] as const,
      registers,
    }),
    transactionsInFlight: new Gauge({
      name: 'switch_transactions_in_flight',
      help: 'New transactions this API instance has waiting for their outcome (at most MAX_TRANSACTIONS_IN_FLIGHT)',
      registers,
    }),
    transactionsRefusedAtCapacity: new Counter({
      name: 'switch_transactions_refused_at_capacity_total',
      help: 'New transactions refused (429) because MAX_TRANSACTIONS_IN_FLIGHT were waiting for their outcome',
      registers,
    }),
    transactionStarts: new Counter({
      name: 'switch_transaction_starts_total',
      help: 'Transactions started by an API process with a worker (API_WORKER), by whether the server gave the first task to that worker (eager) or to the task queue',
      labelNames: ['type', 'eager'] as const,
      registers,
    }),
  };
  if (reporting) watchReporting(registry, reporting, now);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The gauges read from the reporting copy at each scrape (the SAF backlog, open transactions), for
 * a registry made before the copy could be opened.
 */
export function watchReporting(registry: Registry, reporting: ReportingFigures, now: () => number = Date.now) {
  registerBacklog(registry, reporting.backlog, now);
  registerOpenTransactions(registry, reporting.openTransactions);
}

function registerBacklog(registry: Registry, backlog: () => Promise<SafBacklog[]>, now: () => number) {
  // prom-client collects both gauges concurrently at each scrape: they share one read.
  let reading: Promise<SafBacklog[] | undefined> | undefined;
  const read = () =>
    // An unreadable store drops the series (unknown) rather than failing the whole scrape.
    (reading ??= within(scrapeWaitMs, backlog(), undefined).finally(() => {
      reading = undefined;
    }));
  const gauge = (name: string, help: string, value: (row: SafBacklog) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider'] as const,
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        if (!rows) return;
        // Every provider has a series, so an empty backlog reads 0 rather than a gap.
        for (const provider of providerIds) this.set({ provider }, 0);
        for (const row of rows) if (row.provider) this.set({ provider: row.provider }, value(row));
      },
    });
  gauge('switch_saf_backlog', 'Advices pending delivery to the provider', (row) => row.pending);
  gauge('switch_saf_oldest_pending_seconds', 'Age of the oldest advice pending delivery', (row) =>
    row.oldestPendingAt ? Math.max(0, (now() - Date.parse(row.oldestPendingAt)) / 1000) : 0,
  );
  gauge('switch_saf_refused', 'Advices the provider refused for good, awaiting an operator', (row) => row.refused);
}

/** The unsettled transactions by type and state; an unreadable store drops the series. */
function registerOpenTransactions(registry: Registry, read: () => Promise<OpenTransactions[]>) {
  new Gauge({
    name: 'switch_open_transactions',
    help: 'Transactions not settled yet, by type and state (IN_FLIGHT: awaiting the provider; APPROVED: awaiting confirmation)',
    labelNames: ['type', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows = await within(scrapeWaitMs, read(), undefined);
      this.reset();
      if (!rows) return;
      for (const type of ['provision', 'redemption', 'refund'])
        for (const state of ['IN_FLIGHT', 'APPROVED']) this.set({ type, state }, 0);
      for (const row of rows) this.set({ type: row.type, state: row.state }, row.count);
    },
  });
}

/** The registry in Prometheus text format, as an HTTP response. */
export async function scrape(registry: Registry): Promise<Response> {
  return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
}

/**
 * A scrape never waits on a service that does not answer (Prometheus would time out the whole
 * scrape, and the process would look down): past two seconds, a dependency counts as down and a
 * reading from the reporting copy is left out.
 */
const scrapeWaitMs = 2_000;

/** A service the process needs, by the name its `switch_dependency_up` series carries. */
export type Dependencies = Record<string, () => Promise<void>>;

/**
 * `switch_dependency_up{dependency}`: 1 when the service answered at the scrape, 0 when not. A
 * dependency the process goes on without (the reporting store) shows here, not in readiness.
 */
export function watchDependencies(registry: Registry, dependencies: Dependencies) {
  new Gauge({
    name: 'switch_dependency_up',
    help: 'Whether a service the process uses answered at this scrape (1) or not (0): temporal, reporting_store',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      const entries = Object.entries(dependencies);
      const answered = await Promise.all(
        entries.map(([, ping]) =>
          within(
            scrapeWaitMs,
            ping().then(() => true),
            false,
          ),
        ),
      );
      for (const [i, [dependency]] of entries.entries()) this.set({ dependency }, answered[i] ? 1 : 0);
    },
  });
}

/** What a process without the channel API (the standalone worker) answers its probes with. */
export interface Probes {
  /** False when the process can no longer do its work and only a restart helps. */
  live(): boolean;
  /** Resolves when the process can take work now, rejects otherwise. */
  ready(): Promise<void>;
}

const probeAnswer = (ok: boolean, status: string) =>
  Response.json({ status: ok ? status : `NOT_${status}` }, { status: ok ? 200 : 503 });

/** Serves `GET /metrics`, `/live` and `/ready`, for a process without the channel API (the standalone worker). */
export function serveMetrics(registry: Registry, port: number, host?: string, probes?: Probes): Promise<RunningServer> {
  const routes: Record<string, () => Promise<Response> | Response> = {
    '/metrics': () => scrape(registry),
    ...(probes && {
      '/live': () => probeAnswer(probes.live(), 'LIVE'),
      '/ready': () =>
        probes.ready().then(
          () => probeAnswer(true, 'READY'),
          () => probeAnswer(false, 'READY'),
        ),
    }),
  };
  return listen(
    {
      fetch: (request) => {
        const route = routes[new URL(request.url).pathname];
        return route && request.method === 'GET' ? route() : new Response('Not found', { status: 404 });
      },
    },
    port,
    host,
  );
}
