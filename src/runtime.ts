import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { admission } from './api/admission';
import { createApp } from './api/app';
import { channelDirectory, operatorDirectory } from './api/auth';
import { type BackOffice, temporalBackOffice } from './api/back-office';
import { cachedVerifier } from './api/credentials';
import { loginGuard } from './api/login-guard';
import { networks } from './api/networks';
import { createOAuth } from './api/oauth';
import {
  readWithin,
  TemporalTooSlow,
  type TransactionGateway,
  temporalTransactions,
  temporalVouchers,
  type VoucherDirectory,
} from './api/transactions';
import type { Config } from './config';
import type { ReportingStore } from './db/client';
import { findEarlierRun, findVoucherKeyBySerial } from './db/queries/transactions';
import type { LastingState, TransactionType } from './domain/lifecycle';
import type { ProviderRegistry } from './domain/provider-protocol';
import { type ProviderId, providerIds } from './domain/providers';
import { type ProvisionInput, switchReferenceFor } from './domain/provision';
import type { BusinessDay } from './domain/settlement';
import type { UseInput } from './domain/use';
import { listen, type RunningServer } from './http-server';
import type { Logger } from './log';
import { type Metrics, type Probes, watchDependencies } from './metrics';
import { ProductCatalogue } from './providers/catalogue';
import { createProviderRegistry } from './providers/registry';
import type { Tracing } from './telemetry/export';
import { settlingRetries } from './temporal/client-retries';
import { createEncryptionCodec } from './temporal/codec';
import { switchDataConverter } from './temporal/data-converter';
import { createSealer } from './temporal/sealed';
import { ensureSettlementSchedule, settlementReportId } from './temporal/settlement-schedule';
import { voucherKeyer } from './voucher-key';
import { submitProvision, submitUse } from './workflows/messages';
import { settlementReport } from './workflows/settlement-report';

/** How the switch's processes are put together; the entry points only call these. */

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** The payload codec every client and worker of the switch shares. */
export const payloadCodec = (config: Config) =>
  createEncryptionCodec(config.payloadCodec.keys, { refusePlain: config.payloadCodec.refusePlain });

export interface RunningWorker {
  worker: Worker;
  /** The worker's connection; an API in the same process starts its transactions eagerly on it. */
  connection: NativeConnection;
  /** Resolves when Temporal answers the worker's connection within two seconds. */
  temporalHealth(): Promise<void>;
  /** Live until the worker has failed for good; ready while it polls and Temporal answers. */
  probes: Probes;
  /** Resolves when the worker has stopped; rejects when it failed for good. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Temporal's health check over a connection, bounded so a probe never hangs. */
const healthCheck = (connection: Pick<NativeConnection, 'withDeadline' | 'healthService'>) => () =>
  connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({})).then(() => {});

/** Starts a worker that runs the transaction workflows and their activities. */
export async function startWorker(
  config: Config,
  address: string,
  reporting: ReportingStore,
  workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = { workflowsPath },
  metrics?: Metrics,
  tracing?: Tracing,
): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address });
  const providers = createProviderRegistry({ baseUrl: config.providers.simulatorUrl, metrics });
  const codec = payloadCodec(config);
  // A process that tries again (untilConnected) must not keep the failed try's connection; it can
  // only be closed while no worker holds it, so the Schedule comes first.
  const closeAndRethrow = async (error: unknown) => {
    await connection.close();
    throw error;
  };
  await ensureSettlementSchedule(
    new Client({ connection, namespace: config.temporal.namespace, dataConverter: switchDataConverter(codec) }),
    config.temporal.taskQueue,
    config.settlement.businessDay,
  ).catch(closeAndRethrow);
  // The SDK's workflow threads (patched: patches/@temporalio+worker+*.patch) see only the environment,
  // copied when Worker.create starts them.
  process.env.TEMPORAL_WORKFLOW_STACK_TRACES = String(config.worker.stackTraces);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({
      providers,
      db: reporting.db,
      sealer: createSealer(codec),
      voucherKey: voucherKeyer(config.vouchers.hashKey),
      metrics,
      settlement: config.settlement.businessDay,
    }),
    dataConverter: switchDataConverter(codec),
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    ...workflowSource,
    ...tracing?.workerOptions,
  }).catch(closeAndRethrow);
  const running = worker.run();
  const temporalHealth = healthCheck(connection);
  return {
    worker,
    connection,
    temporalHealth,
    done: running,
    probes: {
      live: () => worker.getState() !== 'FAILED',
      ready: async () => {
        if (worker.getState() !== 'RUNNING') throw new Error(`the worker is ${worker.getState()}`);
        await temporalHealth();
      },
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export interface ConnectedApi {
  /** The channel API's request handler. */
  app: ReturnType<typeof switchApp>;
  client: Client;
  /** Resolves when Temporal answers the API's connection within two seconds. */
  temporalHealth(): Promise<void>;
  /** Closes the connection to Temporal. */
  stop(): Promise<void>;
}

export interface RunningApi extends ConnectedApi {
  server: RunningServer;
}

/** The switch's stable reference for a transaction (see `switchReferenceFor`). */
export const referenceFor = (transactionId: string) =>
  switchReferenceFor(transactionId, (text) => createHash('sha256').update(text).digest('hex'));

/**
 * What the channel API is built from besides its configuration: where its transactions and
 * vouchers live (Temporal, for `startApi`), the providers its product catalogue asks, and the
 * reporting copy.
 */
export interface ApiParts {
  reporting: Pick<ReportingStore, 'db' | 'ping'>;
  provisions: TransactionGateway<ProvisionInput>;
  redemptions: TransactionGateway<UseInput>;
  refunds: TransactionGateway<UseInput>;
  vouchers: VoucherDirectory;
  /** What the back office asks of the workflows; whether four eyes are needed is configured. */
  backOffice: Omit<BackOffice, 'fourEyesApproval'>;
  /**
   * Produces a closed business day's settlement report and stores it, unless it is stored already;
   * `producing` when that takes longer than a channel waits.
   */
  produceSettlementReport(day: BusinessDay): Promise<'stored' | 'producing'>;
  providers: ProviderRegistry;
  /** Resolves when Temporal answers, rejects otherwise. */
  temporalHealth(): Promise<void>;
  codec: PayloadCodec;
  logger: Logger;
  metrics?: Metrics;
}

/** The channel API wired from the configuration and its parts; `startApi` serves it, tests call `app.request`. */
export function switchApp(config: Config, parts: ApiParts) {
  const { reporting, providers, codec, metrics } = parts;
  const oauth = config.api.oauth && createOAuth(config.api.oauth);
  // One hashing budget for every login this process checks, channels' and operators'.
  const verifier = cachedVerifier({ guard: loginGuard(config.api.login) });
  const operators = operatorDirectory(config.operators, verifier);
  // One limit for every kind of new transaction this process serves.
  const admitted = admission(config.api.maxTransactionsInFlight, {
    inFlight: (change) => metrics?.transactionsInFlight.inc(change),
    refused: () => metrics?.transactionsRefusedAtCapacity.inc(),
  });
  return createApp({
    channels: channelDirectory(config.channels, { verifyBearer: oauth?.verifyBearer, verifier }),
    trustedProxies: networks(config.api.trustedProxies),
    clientCertificates: config.api.tls?.clientChannels,
    metrics,
    metricsRequireOperator: config.metrics.requireOperator,
    oauth,
    rateLimit: config.api.rateLimit,
    operators,
    reportingDb: reporting.db,
    codec: {
      codec,
      authorize: operators.authorize,
      allowedOrigins: config.payloadCodec.allowedOrigins,
    },
    provisions: admitted.guard(parts.provisions),
    redemptions: admitted.guard(parts.redemptions),
    refunds: admitted.guard(parts.refunds),
    vouchers: parts.vouchers,
    backOffice: { ...parts.backOffice, fourEyesApproval: config.fourEyesApproval },
    settlement: { settings: config.settlement.businessDay, produce: parts.produceSettlementReport },
    voucherKey: voucherKeyer(config.vouchers.hashKey),
    voucherKeyBySerial: (channelId, serialNumber) => findVoucherKeyBySerial(reporting.db, channelId, serialNumber),
    catalogue: new ProductCatalogue({
      providers,
      ttlMs: config.providers.catalogueTtlMs,
      deadlineMs: config.providers.deadlineMs,
    }),
    receiverRoutes: config.routing.receivers,
    switchInstitution: config.switchInstitution,
    deadlineMs: config.providers.deadlineMs,
    deadlinesMs: Object.fromEntries(providerIds.map((id) => [id, config.providers.deadlineMs(id)])) as Record<
      ProviderId,
      number
    >,
    settleAfterMs: (messaging) =>
      messaging === 'single' ? config.settlement.confirmationWindowMs : config.settlement.confirmationDeadlineMs,
    health: {
      temporal: parts.temporalHealth,
      reportingStore: () => reporting.ping(),
    },
    logger: parts.logger,
    clock: () => new Date(),
    referenceFor,
  });
}

/**
 * The channel API wired to Temporal and the reporting copy, not yet listening. The connection to
 * Temporal is made at its first use: Temporal out of reach does not stop the API from starting,
 * and `/ready` says whether it answers.
 */
export function connectApi(
  config: Config,
  address: string,
  reporting: ReportingStore,
  logger: Logger,
  metrics?: Metrics,
  tracing?: Tracing,
  worker?: Pick<RunningWorker, 'connection'>,
  /** Whether `reporting` is the copy the workers write (PostgreSQL, or a PGlite shared in process). */
  copyIsTheWorkers = true,
): ConnectedApi {
  // A worker in this process lends its connection, so that the server hands it the first task of
  // each transaction the API starts; the worker closes it.
  const retries = settlingRetries();
  const connection = worker?.connection ?? Connection.lazy({ address, interceptors: [retries.interceptor] });
  const codec = payloadCodec(config);
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: switchDataConverter(codec),
    interceptors: { workflow: tracing?.clientInterceptors },
  });
  const sealer = createSealer(codec);
  const temporalHealth = healthCheck(connection);
  const gateway = {
    client,
    taskQueue: config.temporal.taskQueue,
    responseTimeoutMs: config.api.channelResponseTimeoutMs,
    abandonmentId: (transactionId: string) => referenceFor(`${transactionId}#abandoned`),
    earlierRun: (transactionId: string) =>
      findEarlierRun(reporting.db, (sealed) => sealer.unseal<LastingState>(sealed), transactionId),
    earlierRunsAtStart: copyIsTheWorkers,
    logger,
    eagerStart: worker && {
      started: (type: TransactionType, eager: boolean) =>
        metrics?.transactionStarts.inc({ type, eager: eager ? 'true' : 'false' }),
    },
  };
  const app = switchApp(config, {
    reporting,
    provisions: temporalTransactions('provision', submitProvision, gateway, (input) => ({
      provider: input.provider,
      voucherProvider: input.voucherProvider,
      product: input.request.product?.productId,
    })),
    redemptions: temporalTransactions('redemption', submitUse, gateway),
    refunds: temporalTransactions('refund', submitUse, gateway),
    vouchers: temporalVouchers(client, config.api.channelResponseTimeoutMs),
    backOffice: temporalBackOffice(client, {
      taskQueue: config.temporal.taskQueue,
      responseTimeoutMs: config.api.channelResponseTimeoutMs,
    }),
    // One workflow per day (per switch: several may share a namespace), so two operators store one report.
    // Waited for as long as a channel waits: past it, the workflow goes on and stores the report.
    produceSettlementReport: async (day) => {
      const run = () =>
        client.workflow.execute(settlementReport, {
          workflowId: settlementReportId(config.temporal.taskQueue, day),
          taskQueue: config.temporal.taskQueue,
          args: [{ day }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      try {
        await readWithin(client, Date.now() + config.api.channelResponseTimeoutMs, run);
        return 'stored';
      } catch (error) {
        // However the wait ended once its deadline passed (not always the client's deadline error).
        if (error instanceof TemporalTooSlow) return 'producing';
        throw error;
      }
    },
    providers: createProviderRegistry({ baseUrl: config.providers.simulatorUrl, metrics }),
    temporalHealth,
    codec,
    logger,
    metrics,
  });
  if (metrics)
    watchDependencies(metrics.registry, { temporal: temporalHealth, reporting_store: () => reporting.ping() });
  const stop = async () => {
    if (worker) return;
    if (retries.waiting() > 0) logger.info({ retries: retries.waiting() }, 'waiting for retried calls to Temporal');
    await retries.settle();
    await connection.close();
  };
  return { app, client, temporalHealth, stop };
}

/** Starts the channel API on the configured port, over HTTPS when a certificate is configured. */
export async function startApi(
  config: Config,
  address: string,
  reporting: ReportingStore,
  logger: Logger,
  metrics?: Metrics,
  tracing?: Tracing,
  worker?: Pick<RunningWorker, 'connection'>,
): Promise<RunningApi> {
  const api = connectApi(config, address, reporting, logger, metrics, tracing, worker);
  const server = await listen(api.app, config.api.port, config.api.host, config.api.tls);
  return {
    ...api,
    server,
    async stop() {
      await server.close();
      await api.stop();
    },
  };
}
