import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type ProviderId, providerIds } from './domain/providers';

/**
 * The switch's whole configuration, parsed once from the environment.
 * Every setting has a default that starts the embedded development stack.
 */

const messagingSchema = z.enum(['single', 'dual']);
const providerIdSchema = z.enum(providerIds);

const channelSchema = z.object({
  clientId: z.string().min(1),
  password: z.string().min(1),
  messaging: messagingSchema.default('dual'),
  defaultProvider: providerIdSchema.optional(),
});
export type ChannelConfig = z.infer<typeof channelSchema>;

/** The colon-separated fields of each entry of a comma-separated list. */
function listEntries(value: string): string[][] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => entry.split(':'));
}

/** `clientId:password[:single|dual[:defaultProvider]]`, comma-separated. */
function parseChannelList(value: string): unknown[] {
  return listEntries(value).map(([clientId, password, messaging, defaultProvider]) => ({
    clientId,
    password,
    messaging: messaging || undefined,
    defaultProvider,
  }));
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

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('voucher-switch'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DB_FILE: z.string().default('.data/temporal.db'),
  DATABASE_URL: z.string().optional(),
  PGLITE_DIR: z.string().default('.data/pglite'),
  SWITCH_CHANNELS: z.string().default('22222222:password:dual'),
  SWITCH_CHANNELS_FILE: z.string().optional(),
  SWITCH_RECEIVER_ROUTES: z.string().default('44444444:flash'),
  PROVIDER_SIM_URL: z.string().url().default('http://127.0.0.1:8090'),
  PROVIDER_SIM_PORT: port.default(8090),
  PROVIDER_DEADLINE_MS: z.coerce.number().int().positive().default(10_000),
  PROVIDER_DEADLINES: z.string().default(''),
  PRODUCT_CATALOGUE_TTL_MS: z.coerce.number().int().positive().default(300_000),
  SWITCH_INSTITUTION_ID: z.string().min(1).default('33333333'),
  SWITCH_INSTITUTION_NAME: z.string().min(1).max(40).default('Voucher Switch'),
  CONFIRMATION_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  CONFIRMATION_DEADLINE_MS: z.coerce.number().int().positive().default(900_000),
  CHANNEL_RESPONSE_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  VOUCHER_HASH_KEY: z.string().min(16).default('development-only-voucher-hash-key'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

const channelsSchema = z.array(channelSchema).min(1);
const receiverRoutesSchema = z.record(z.string().min(1), providerIdSchema);
const deadlinesSchema = z.partialRecord(providerIdSchema, z.number().int().positive());

export type Config = ReturnType<typeof loadConfig>;

function readChannels(env: z.infer<typeof envSchema>): unknown {
  if (env.SWITCH_CHANNELS_FILE) {
    return JSON.parse(readFileSync(env.SWITCH_CHANNELS_FILE, 'utf8'));
  }
  return parseChannelList(env.SWITCH_CHANNELS);
}

/** Parses the configuration; throws a ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const env = envSchema.safeParse(source);
  if (!env.success) throw new ConfigError(z.prettifyError(env.error));
  const e = env.data;
  const channels = channelsSchema.safeParse(readChannels(e));
  const receiverRoutes = receiverRoutesSchema.safeParse(parseReceiverRoutes(e.SWITCH_RECEIVER_ROUTES));
  const deadlines = deadlinesSchema.safeParse(parseDeadlines(e.PROVIDER_DEADLINES));
  const problems = [
    channels.error && `SWITCH_CHANNELS: ${z.prettifyError(channels.error)}`,
    receiverRoutes.error && `SWITCH_RECEIVER_ROUTES: ${z.prettifyError(receiverRoutes.error)}`,
    deadlines.error && `PROVIDER_DEADLINES: ${z.prettifyError(deadlines.error)}`,
  ].filter(Boolean);
  if (problems.length > 0 || !channels.data || !receiverRoutes.data || !deadlines.data) {
    throw new ConfigError(problems.join('\n'));
  }
  const deadlineOverrides: Partial<Record<ProviderId, number>> = deadlines.data;
  return {
    api: { port: e.PORT, host: e.HOST, channelResponseTimeoutMs: e.CHANNEL_RESPONSE_TIMEOUT_MS },
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
    },
    /** The secret of the keyed hash that identifies a voucher without its code. */
    vouchers: { hashKey: e.VOUCHER_HASH_KEY },
    logLevel: e.LOG_LEVEL,
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** For entry points: the configuration, or the problems printed and the process ended. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    console.error(`Invalid configuration:\n${(error as Error).message}`);
    process.exit(1);
  }
}
