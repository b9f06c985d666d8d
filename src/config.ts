import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import { cidrSchema } from './api/networks';
import { type ProviderId, providerIds } from './domain/providers';
import { cutoffSeconds, isTimeZone } from './domain/settlement';
import { type CodecKeys, insecureDevKeyId, insecureDevPayloadKeys, parseCodecKeys } from './temporal/codec';
import { clientChannelsSchema, type TlsSettings } from './tls';

/**
 * The switch's whole configuration, parsed once from the environment.
 * Every setting has a default that starts the embedded development stack.
 */

const messagingSchema = z.enum(['single', 'dual']);
const providerIdSchema = z.enum(providerIds);

/** A secret as stored: `hashSecret`'s output (`npm run hash-secret`), never the secret itself. */
const secretHashSchema = z.string().regex(/^scrypt\./, 'must be a hash from `npm run hash-secret`');

/**
 * A client id is part of every workflow id of its channel's transactions: a safe alphabet keeps
 * ids built from parts from ever colliding, and from carrying anything but an id.
 */
export const clientIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 . _ -');

const channelSchema = z.object({
  clientId: clientIdSchema,
  secretHash: secretHashSchema,
  messaging: messagingSchema.default('dual'),
  defaultProvider: providerIdSchema.optional(),
  /** The networks the channel's requests may come from (the product overview's allow-listed endpoints); absent: any. */
  allowedNetworks: z.array(cidrSchema).min(1).optional(),
});
export type ChannelConfig = z.infer<typeof channelSchema>;

/**
 * `viewer` may look things up; `backoffice` may also act (produce reports, reconcile, repair
 * transactions, block vouchers). Unnamed: `viewer`, the least an operator can do.
 */
export const operatorRoles = ['viewer', 'backoffice'] as const;
export type OperatorRole = (typeof operatorRoles)[number];
const operatorSchema = z.object({
  name: z.string().min(1),
  secretHash: secretHashSchema,
  role: z.enum(operatorRoles).default('viewer'),
});
export type OperatorConfig = z.infer<typeof operatorSchema>;

/** The hashes of the development defaults: channel `22222222` / `password`, operator `operator` / `operator`. */
const devChannelSecretHash = 'scrypt.16384.8.1._SEUVPB85LhasP1j1CnviA.P_24cYqyvotjKA2da5ZcUidyKk9Ttv33tnbqTG9gkJk';
const devOperatorSecretHash = 'scrypt.16384.8.1.0EAEWalhThUZGyiw_56rZw.maae4I3up6DpWn5BreTXrwDa_iRaqx4o2DvnRG4VWiI';
const devVoucherHashKey = 'development-only-voucher-hash-key';

/**
 * Single messaging: a channel that keeps timing out sends its reversal from its own
 * store-and-forward queue, possibly minutes later (the seed's "Timeout Persists"); it must still
 * reach the provider for at least this long after the provision.
 */
const singleMessagingReversalFloorMs = 15 * 60_000;

/** The colon-separated fields of each entry of a comma-separated list. */
function listEntries(value: string): string[][] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => entry.split(':'));
}

/** `clientId:secretHash[:single|dual[:defaultProvider]]`, comma-separated. */
function parseChannelList(value: string): unknown[] {
  return listEntries(value).map(([clientId, secretHash, messaging, defaultProvider]) => ({
    clientId,
    secretHash,
    messaging: messaging || undefined,
    defaultProvider,
  }));
}

/** `clientId=cidr|cidr`, comma-separated: each channel's allowed networks (`|`, as IPv6 has colons). */
function parseChannelNetworks(value: string): Record<string, string[]> {
  return Object.fromEntries(
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [clientId = '', cidrs = ''] = entry.split('=');
        return [clientId.trim(), cidrs.split('|').map((cidr) => cidr.trim())];
      }),
  );
}

/** `name:secretHash[:viewer|backoffice]`, comma-separated. */
function parseOperatorList(value: string): unknown[] {
  return listEntries(value).map(([name, secretHash, role]) => ({ name, secretHash, role: role || undefined }));
}

/** `institutionId:providerId`, comma-separated. */
function parseReceiverRoutes(value: string): Record<string, string | undefined> {
  return Object.fromEntries(listEntries(value).map(([institution, provider]) => [institution, provider]));
}

/** `providerId:milliseconds`, comma-separated; overrides the default deadline per provider. */
function parseDeadlines(value: string): Record<string, number> {
  return Object.fromEntries(listEntries(value).map(([provider, ms]) => [provider, Number(ms)]));
}

const port = z.coerce.number().int().min(0).max(65535);
/** A path; empty counts as unset, as Compose's `${VAR:-}` gives. */
const optionalFile = z
  .string()
  .optional()
  .transform((path) => path || undefined);

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('127.0.0.1'),
  TLS_CERT_FILE: optionalFile,
  TLS_KEY_FILE: optionalFile,
  TLS_CA_FILE: optionalFile,
  TLS_CLIENT_CHANNELS: clientChannelsSchema.prefault(''),
  TLS_MIN_VERSION: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  // stringbool, not coerce: "false" must not be true.
  ALLOW_PLAIN_HTTP: z.stringbool().default(false),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('voucher-switch'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DB_FILE: z.string().default('.data/temporal.db'),
  DATABASE_URL: z.string().optional(),
  PGLITE_DIR: z.string().default('.data/pglite'),
  SWITCH_CHANNELS: z.string().default(`22222222:${devChannelSecretHash}:dual`),
  SWITCH_CHANNELS_FILE: z.string().optional(),
  SWITCH_RECEIVER_ROUTES: z.string().default('44444444:flash'),
  PROVIDER_SIM_URL: z.string().url().default('http://127.0.0.1:8090'),
  PROVIDER_SIM_PORT: port.default(8090),
  PROVIDER_DEADLINE_MS: z.coerce.number().int().positive().default(10_000),
  PROVIDER_DEADLINES: z.string().default(''),
  PRODUCT_CATALOGUE_TTL_MS: z.coerce.number().int().positive().default(300_000),
  SWITCH_INSTITUTION_ID: z.string().min(1).default('33333333'),
  SWITCH_INSTITUTION_NAME: z.string().min(1).max(40).default('Voucher Switch'),
  CONFIRMATION_WINDOW_MS: z.coerce.number().int().positive().default(singleMessagingReversalFloorMs),
  CONFIRMATION_DEADLINE_MS: z.coerce.number().int().positive().default(900_000),
  CHANNEL_RESPONSE_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  SETTLEMENT_CUTOFF: z
    .string()
    .default('00:00')
    .refine((cutoff) => cutoffSeconds(cutoff) !== undefined, 'must be a time of day, HH:MM or HH:MM:SS'),
  SETTLEMENT_TIME_ZONE: z
    .string()
    .default('Africa/Johannesburg')
    .refine(isTimeZone, 'must be an IANA time zone, e.g. Africa/Johannesburg'),
  VOUCHER_HASH_KEY: z.string().min(16).default(devVoucherHashKey),
  PAYLOAD_KEYS: z.string().default(insecureDevPayloadKeys),
  OPERATORS: z.string().default(`operator:${devOperatorSecretHash}:backoffice`),
  // true: an operator action that moves money waits for a second operator's approval.
  FOUR_EYES_APPROVAL: z.stringbool().default(false),
  CODEC_ALLOWED_ORIGINS: z.string().optional(),
  OAUTH_TOKEN_SECRET: z.string().min(32).optional(),
  OAUTH_ISSUER: z.string().min(1).default('voucher-switch'),
  OAUTH_AUDIENCE: z.string().min(1).default('suv/v1'),
  OAUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(300),
  SWITCH_CHANNEL_NETWORKS: z.string().default(''),
  TRUSTED_PROXIES: z.string().default(''),
  LOGIN_HASHES_PER_SECOND: z.coerce.number().positive().default(10),
  LOGIN_HASH_BURST: z.coerce.number().int().positive().default(20),
  LOGIN_ATTEMPTS_PER_SECOND: z.coerce.number().positive().default(1),
  LOGIN_ATTEMPT_BURST: z.coerce.number().int().positive().default(10),
  LOGIN_HASH_CONCURRENCY: z.coerce.number().int().positive().default(2),
  LOGIN_FAILURES_BEFORE_BACKOFF: z.coerce.number().int().positive().default(5),
  RATE_LIMIT_PER_SECOND: z.coerce.number().nonnegative().default(200),
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(400),
  MAX_TRANSACTIONS_IN_FLIGHT: z.coerce.number().int().positive().default(200),
  NODE_ENV: z.string().optional(),
  METRICS_PORT: port.default(9464),
  // 0: off.
  TEMPORAL_SDK_METRICS_PORT: port.default(9465),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(500),
  // true: the Web UI's Stack Trace tab works, at about a fifth of the worker's CPU (see the README).
  WORKFLOW_STACK_TRACES: z.stringbool().default(false),
  // true: every API process runs a worker too, and starts each transaction eagerly on it.
  API_WORKER: z.stringbool().default(false),
  // Unset: required in production, not in development.
  METRICS_REQUIRE_OPERATOR: z.stringbool().optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  // Unset: JSON lines, but `npm run dev` prints for a person.
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  // Unset or empty: no traces, and nothing of OpenTelemetry's SDK registered.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((value) => (value === '' ? undefined : value), z.url().optional()),
});

const channelsSchema = z.array(channelSchema).min(1);
const receiverRoutesSchema = z.record(z.string().min(1), providerIdSchema);
const deadlinesSchema = z.partialRecord(providerIdSchema, z.number().int().positive());

export type Config = ReturnType<typeof loadConfig>;
type Env = z.infer<typeof envSchema>;

function readChannels(env: Env): unknown {
  const channels = env.SWITCH_CHANNELS_FILE
    ? JSON.parse(readFileSync(env.SWITCH_CHANNELS_FILE, 'utf8'))
    : parseChannelList(env.SWITCH_CHANNELS);
  const networks = parseChannelNetworks(env.SWITCH_CHANNEL_NETWORKS);
  if (!Array.isArray(channels) || Object.keys(networks).length === 0) return channels;
  return channels.map((channel: { clientId?: string }) =>
    channel.clientId !== undefined && networks[channel.clientId]
      ? { ...channel, allowedNetworks: networks[channel.clientId] }
      : channel,
  );
}

/** The channel API's certificate, key and client CA, read and checked once; problems name the setting. */
function readTls(e: Env, channels: ChannelConfig[]): { tls?: TlsSettings; problems: string[] } {
  const {
    TLS_CERT_FILE: certFile,
    TLS_KEY_FILE: keyFile,
    TLS_CA_FILE: caFile,
    TLS_CLIENT_CHANNELS: clientChannels,
  } = e;
  const mapped = new Set([...clientChannels.fingerprints.values(), ...clientChannels.commonNames.values()]);
  const problems = [
    !certFile !== !keyFile &&
      'TLS_CERT_FILE, TLS_KEY_FILE: set both (certificate chain and its private key, PEM) or neither',
    caFile && !certFile && 'TLS_CA_FILE: mutual TLS needs TLS_CERT_FILE and TLS_KEY_FILE',
    mapped.size > 0 && !caFile && 'TLS_CLIENT_CHANNELS: needs TLS_CA_FILE, the CA that signs the client certificates',
    ...[...mapped]
      .filter((clientId) => !channels.some((channel) => channel.clientId === clientId))
      .map((clientId) => `TLS_CLIENT_CHANNELS: ${clientId} is not a configured channel`),
  ].filter((problem): problem is string => Boolean(problem));
  if (problems.length > 0 || !certFile || !keyFile) return { problems };

  const attempt = <T>(names: string, run: () => T): T | undefined => {
    try {
      return run();
    } catch (error) {
      problems.push(`${names}: ${(error as Error).message}`);
    }
  };
  const cert = attempt('TLS_CERT_FILE', () => readFileSync(certFile, 'utf8'));
  const key = attempt('TLS_KEY_FILE', () => readFileSync(keyFile, 'utf8'));
  const ca = caFile && attempt('TLS_CA_FILE', () => readFileSync(caFile, 'utf8'));
  // A malformed PEM or a key that is not the certificate's fails now rather than at listen.
  if (cert && key) attempt('TLS_CERT_FILE, TLS_KEY_FILE', () => createSecureContext({ cert, key }));
  if (ca) attempt('TLS_CA_FILE', () => new X509Certificate(ca));
  if (!cert || !key || problems.length > 0) return { problems };
  return { tls: { cert, key, ca, minVersion: e.TLS_MIN_VERSION, clientChannels }, problems };
}

export interface LoadOptions {
  /**
   * The process serves the channel API (server.ts, dev.ts), so it needs TLS or plain HTTP
   * explicitly allowed. The worker and the simulator do not, and never need the API's key.
   */
  servesApi?: boolean;
}

const plainHttpRefused =
  'The channel API is served over HTTPS only: set TLS_CERT_FILE and TLS_KEY_FILE (PEM files), ' +
  'or ALLOW_PLAIN_HTTP=true for local development';

/** Parses the configuration; throws a ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env, options: LoadOptions = {}) {
  const env = envSchema.safeParse(source);
  if (!env.success) throw new ConfigError(z.prettifyError(env.error));
  const e = env.data;
  const channels = channelsSchema.safeParse(readChannels(e));
  const receiverRoutes = receiverRoutesSchema.safeParse(parseReceiverRoutes(e.SWITCH_RECEIVER_ROUTES));
  const deadlines = deadlinesSchema.safeParse(parseDeadlines(e.PROVIDER_DEADLINES));
  const tls = readTls(e, channels.data ?? []);
  const operators = z.array(operatorSchema).safeParse(parseOperatorList(e.OPERATORS));
  const trustedProxies = z.array(cidrSchema).safeParse(
    e.TRUSTED_PROXIES.split(',')
      .map((cidr) => cidr.trim())
      .filter(Boolean),
  );
  const unknownNetworkChannels = Object.keys(parseChannelNetworks(e.SWITCH_CHANNEL_NETWORKS)).filter(
    (clientId) => !(channels.data ?? []).some((channel) => channel.clientId === clientId),
  );
  const payloadKeys = attemptParse('PAYLOAD_KEYS', () => parseCodecKeys(e.PAYLOAD_KEYS));
  const production = e.NODE_ENV === 'production';
  const problems = [
    operators.error && `OPERATORS: ${z.prettifyError(operators.error)}`,
    payloadKeys.problem,
    ...(production ? developmentSecrets(e, channels.data ?? [], operators.data ?? [], payloadKeys.value) : []),
    production &&
      e.CONFIRMATION_WINDOW_MS < singleMessagingReversalFloorMs &&
      'CONFIRMATION_WINDOW_MS: a single-messaging channel may reverse for at least 15 minutes (900000) in production',
    ...providerDeadlineProblems(e.PROVIDER_DEADLINE_MS, deadlines.data ?? {}, e.CHANNEL_RESPONSE_TIMEOUT_MS),
    channels.error && `SWITCH_CHANNELS: ${z.prettifyError(channels.error)}`,
    ...unknownNetworkChannels.map((clientId) => `SWITCH_CHANNEL_NETWORKS: ${clientId} is not a configured channel`),
    trustedProxies.error && `TRUSTED_PROXIES: ${z.prettifyError(trustedProxies.error)}`,
    receiverRoutes.error && `SWITCH_RECEIVER_ROUTES: ${z.prettifyError(receiverRoutes.error)}`,
    deadlines.error && `PROVIDER_DEADLINES: ${z.prettifyError(deadlines.error)}`,
    ...tls.problems,
    options.servesApi && !tls.tls && !e.ALLOW_PLAIN_HTTP && tls.problems.length === 0 && plainHttpRefused,
  ].filter(Boolean);
  if (
    problems.length > 0 ||
    !channels.data ||
    !receiverRoutes.data ||
    !deadlines.data ||
    !operators.data ||
    !payloadKeys.value
  ) {
    throw new ConfigError(problems.join('\n'));
  }
  const deadlineOverrides: Partial<Record<ProviderId, number>> = deadlines.data;
  return {
    api: {
      port: e.PORT,
      host: e.HOST,
      channelResponseTimeoutMs: e.CHANNEL_RESPONSE_TIMEOUT_MS,
      /** HTTPS (and mutual TLS when it has a CA); undefined: plain HTTP. */
      tls: tls.tls,
      /** ALLOW_PLAIN_HTTP: plain HTTP explicitly allowed when no certificate is configured. */
      plainHttp: e.ALLOW_PLAIN_HTTP,
      /** What an unauthenticated caller may cost in password hashes (see `loginGuard`). */
      login: {
        hashesPerSecond: e.LOGIN_HASHES_PER_SECOND,
        hashBurst: e.LOGIN_HASH_BURST,
        attemptsPerSecond: e.LOGIN_ATTEMPTS_PER_SECOND,
        attemptBurst: e.LOGIN_ATTEMPT_BURST,
        concurrency: e.LOGIN_HASH_CONCURRENCY,
        failuresBeforeBackoff: e.LOGIN_FAILURES_BEFORE_BACKOFF,
      },
      /** Proxies whose X-Forwarded-For names the client's address. */
      trustedProxies: trustedProxies.data ?? [],
      /** Per channel; undefined: no limit. */
      rateLimit:
        e.RATE_LIMIT_PER_SECOND > 0 ? { ratePerSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST } : undefined,
      /** New transactions this instance lets wait for their outcome at once; more are refused (429). */
      maxTransactionsInFlight: e.MAX_TRANSACTIONS_IN_FLIGHT,
      /** OAuth2 client credentials beside Basic auth; undefined: off. */
      oauth: e.OAUTH_TOKEN_SECRET
        ? {
            secret: e.OAUTH_TOKEN_SECRET,
            issuer: e.OAUTH_ISSUER,
            audience: e.OAUTH_AUDIENCE,
            tokenTtlSeconds: e.OAUTH_TOKEN_TTL_SECONDS,
          }
        : undefined,
    },
    operators: operators.data,
    /** Operator actions that move money run only once a second operator approves them. */
    fourEyesApproval: e.FOUR_EYES_APPROVAL,
    temporal: {
      /** When unset, `npm run dev` starts a Temporal dev server itself. */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_UI_PORT, dbFile: e.TEMPORAL_DB_FILE },
    },
    database: { url: e.DATABASE_URL, pgliteDir: e.PGLITE_DIR },
    channels: channels.data,
    routing: { receivers: receiverRoutes.data },
    providers: {
      simulatorUrl: e.PROVIDER_SIM_URL,
      simulatorPort: e.PROVIDER_SIM_PORT,
      deadlineMs: (provider: ProviderId) => deadlineOverrides[provider] ?? e.PROVIDER_DEADLINE_MS,
      catalogueTtlMs: e.PRODUCT_CATALOGUE_TTL_MS,
    },
    switchInstitution: { id: e.SWITCH_INSTITUTION_ID, name: e.SWITCH_INSTITUTION_NAME },
    settlement: {
      /** Single messaging: how long a channel reversal may still arrive before the switch confirms. */
      confirmationWindowMs: e.CONFIRMATION_WINDOW_MS,
      /** Dual messaging: how long the switch waits for a confirmation before it reverses. */
      confirmationDeadlineMs: e.CONFIRMATION_DEADLINE_MS,
      /** When a business day ends, for the settlement reports. */
      businessDay: { cutoff: e.SETTLEMENT_CUTOFF, timeZone: e.SETTLEMENT_TIME_ZONE },
    },
    /** The secret of the keyed hash that identifies a voucher without its code. */
    vouchers: { hashKey: e.VOUCHER_HASH_KEY },
    /** Temporal payloads are encrypted with these keys; the Web UI decodes them through the API's codec endpoint. */
    payloadCodec: {
      keys: payloadKeys.value as CodecKeys,
      /** Production takes encrypted payloads only. */
      refusePlain: production,
      allowedOrigins: (
        e.CODEC_ALLOWED_ORIGINS ?? `http://127.0.0.1:${e.TEMPORAL_UI_PORT},http://localhost:${e.TEMPORAL_UI_PORT}`
      )
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    },
    /**
     * Workflows a worker keeps in memory between their tasks (Temporal's sticky cache). The SDK's
     * default grows with the heap, so a worker with thousands of transactions awaiting
     * confirmation grows past a gigabyte; an evicted workflow is replayed from history when it wakes.
     */
    worker: {
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      /** Whether workflows keep a stack trace of each promise they make, for Temporal's stack trace query. */
      stackTraces: e.WORKFLOW_STACK_TRACES,
      /** A worker in each API process, on one connection with the API's client: eager starts. */
      inApi: e.API_WORKER,
    },
    /**
     * The standalone worker serves its own `/metrics` (and `/live`, `/ready`) on `port`; the API on
     * its own port. The Temporal SDK's metrics of a process with a worker: `sdkPort`, 0 for none.
     */
    metrics: {
      port: e.METRICS_PORT,
      sdkPort: e.TEMPORAL_SDK_METRICS_PORT,
      requireOperator: e.METRICS_REQUIRE_OPERATOR ?? production,
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? 'json',
    /** Where traces go (OTLP over HTTP); undefined: nowhere. */
    telemetry: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT },
  };
}

/**
 * Production refuses every secret this repository publishes, wherever it appears: the demo
 * channel's and operator's logins, the development payload key (under any id, in any place of the
 * list) and voucher hash key, and a `/metrics` open to anyone on the channel port.
 */
function developmentSecrets(
  e: Env,
  channels: ChannelConfig[],
  operators: OperatorConfig[],
  payloadKeys: CodecKeys | undefined,
): string[] {
  const devKey = parseCodecKeys(insecureDevPayloadKeys).keys[insecureDevKeyId] as Buffer;
  const channelsSetting = e.SWITCH_CHANNELS_FILE ? 'SWITCH_CHANNELS_FILE' : 'SWITCH_CHANNELS';
  return [
    channels.some((channel) => channel.secretHash === devChannelSecretHash) &&
      `${channelsSetting}: the development channel's login (22222222 / password) is configured; set your own channels`,
    operators.some((operator) => operator.secretHash === devOperatorSecretHash) &&
      "OPERATORS: the development operator's login (operator / operator) is configured; set your own operators",
    payloadKeys &&
      Object.entries(payloadKeys.keys).some(([id, key]) => id === insecureDevKeyId || key.equals(devKey)) &&
      'PAYLOAD_KEYS: the published development key is among the keys; set keys of your own in production',
    e.VOUCHER_HASH_KEY === devVoucherHashKey && 'VOUCHER_HASH_KEY: set a key of your own in production',
    e.METRICS_REQUIRE_OPERATOR === false &&
      'METRICS_REQUIRE_OPERATOR: /metrics on the channel port needs operator credentials in production',
  ].filter((problem): problem is string => Boolean(problem));
}

/**
 * Every provider must answer (or be given up on) before the channel is: a channel answered while
 * its provider may still approve gets an error for a transaction the switch must then reverse.
 */
function providerDeadlineProblems(
  defaultMs: number,
  overrides: Partial<Record<ProviderId, number>>,
  channelResponseTimeoutMs: number,
): string[] {
  const tooLong = (ms: number) => ms >= channelResponseTimeoutMs;
  return [
    tooLong(defaultMs) && `PROVIDER_DEADLINE_MS: ${defaultMs} must be shorter than CHANNEL_RESPONSE_TIMEOUT_MS`,
    ...Object.entries(overrides)
      .filter(([, ms]) => tooLong(ms))
      .map(
        ([provider, ms]) => `PROVIDER_DEADLINES: ${provider}'s ${ms} must be shorter than CHANNEL_RESPONSE_TIMEOUT_MS`,
      ),
  ].filter((problem): problem is string => Boolean(problem));
}

function attemptParse<T>(setting: string, parse: () => T): { value?: T; problem?: string } {
  try {
    return { value: parse() };
  } catch (error) {
    const message = (error as Error).message;
    return { problem: message.startsWith(setting) ? message : `${setting}: ${message}` };
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * For entry points: the configuration, or the problems printed and the process ended.
 * `defaults` are the entry point's own defaults, under the environment's settings.
 */
export function loadConfigOrExit(options: LoadOptions & { defaults?: Record<string, string> } = {}): Config {
  try {
    return loadConfig({ ...options.defaults, ...process.env }, options);
  } catch (error) {
    console.error(`Invalid configuration:\n${(error as Error).message}`);
    process.exit(1);
  }
}
