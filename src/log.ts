import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino } from 'pino';
import pinoPretty from 'pino-pretty';

export type Logger = pino.Logger;

/** Keys whose values never appear in clear, at any depth: credentials, tokens, secret hashes, voucher codes. */
const secretKey = /password|passwd|secret|token|authori[sz]ation|cookie|hash_?key|voucher_?code|private_?key/i;
/** Secrets known by their parent: elsewhere `code` is an error or decline code an operator needs. */
const secretChild = new Map([
  ['voucher', 'code'],
  ['tls', 'key'],
  ['payloadCodec', 'keys'],
]);
const censor = '[redacted]';
const mayHoldSecret = new RegExp(`"[^"]*(?:${secretKey.source}|${[...secretChild.keys()].join('|')})[^"]*":`, 'i');
const credentialInText = /\b(Bearer|Basic) +[\w.~+/-]{8,}=*/gi;

/**
 * The JSON line with every secret censored, however deep. Done on the written line rather than with
 * pino's `redact` paths: those name each depth, and a few levels of wildcards cost ~200 µs a line.
 */
export function redactLine(line: string): string {
  const redacted = mayHoldSecret.test(line)
    ? `${JSON.stringify(
        JSON.parse(line, (key, value) => {
          if (secretKey.test(key)) return censor;
          const child = secretChild.get(key);
          return child && typeof value === 'object' && value !== null && child in value
            ? { ...value, [child]: censor }
            : value;
        }),
      )}\n`
    : line;
  // A credential quoted in a message or an error's text.
  return redacted.replace(credentialInText, `$1 ${censor}`);
}

export type LogFormat = 'json' | 'pretty';

/**
 * Where a process's logs go: JSON lines on stdout, or for a person (`LOG_FORMAT=pretty`, the
 * default of `npm run dev`), one event a line with its time, level and fields, coloured on a terminal.
 */
export function logDestination(format: LogFormat): pino.DestinationStream | undefined {
  if (format === 'json') return undefined;
  return pinoPretty({
    singleLine: true,
    ignore: 'pid,hostname,component',
    messageFormat: '({component}) {msg}',
    translateTime: 'SYS:HH:MM:ss.l',
    sync: true,
  });
}

/**
 * Structured logs. Voucher codes and credentials are censored wherever they appear in a line
 * (the JSON line, before any pretty printing), so a careless log call cannot leak them.
 */
export function createLogger(level: string, component: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component },
      hooks: { streamWrite: redactLine },
      // The Temporal SDK logs its errors as `error`; without this they would print as `{}`.
      serializers: { err: withoutQueryParameters, error: withoutQueryParameters },
    },
    destination,
  );
}

/**
 * An error as a log line holds it, without the parameters a database driver quotes after its
 * query (`params: …`): they are a transaction's data, a customer's among them.
 */
function withoutQueryParameters(error: unknown) {
  const cut = (text: string | undefined) => text?.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, '\nparams: [redacted]');
  // Temporal's core forwards its errors as text: spread, a string would print as `{"0":"c",…}`.
  if (typeof error === 'string') return cut(error);
  const serialized = pino.stdSerializers.err(error as Error);
  return { ...serialized, message: cut(serialized.message), stack: cut(serialized.stack) };
}

/** The transaction a channel request belongs to, for the request's log line. */
export interface TransactionLogFields {
  /** The workflow id: `<type>-<clientId>-<message id>`. */
  transactionId: string;
  /** The channel's message id: the request's own, or the advice's. */
  messageId: string;
}

/** Hono variables of the channel API: a route names its transaction with `c.set('transaction', …)`. */
export type LogVariables = { transaction: TransactionLogFields | undefined };

/** The workflow bundler's webpack report: dozens of lines of modules, for whoever debugs the build. */
const isBuildReport = (message: string) => /\bwebpack [\d.]+ compiled\b/.test(message);

const pinoLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * A Temporal SDK logger writing into `logger`. Workflow and activity log calls arrive with their
 * context (workflowId, runId, workflowType, activityType, …) as metadata, which becomes JSON fields.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    logger[pinoLevels[level === 'INFO' && isBuildReport(message) ? 'DEBUG' : level]]({ ...meta }, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Sends the Temporal SDK's logs (worker, workflows, activities and the native core) to `logger`,
 * and serves the SDK's own metrics (task slots, schedule-to-start latency, sticky cache) for
 * Prometheus on `sdkMetrics`, when given. Call it once per process, before any connection or
 * worker exists: the runtime is installed once.
 */
export async function installTemporalLogging(
  logger: Logger,
  sdkMetrics?: { port: number; host: string },
): Promise<void> {
  // Loaded here so that processes without a worker (the simulator) do not load the native SDK.
  const { Runtime } = await import('@temporalio/worker');
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // Prometheus conventions, as the switch's own metrics: seconds, `_seconds` and `_total` suffixes.
      ...(sdkMetrics?.port && {
        metrics: {
          prometheus: {
            bindAddress: `${sdkMetrics.host.includes(':') ? `[${sdkMetrics.host}]` : sdkMetrics.host}:${sdkMetrics.port}`,
            useSecondsForDurations: true,
            unitSuffix: true,
            countersTotalSuffix: true,
          },
        },
      }),
    },
  });
}

/**
 * A promise nobody awaited that fails is logged, and the process goes on: no background task (a
 * catalogue refresh, a metrics read) may end a process that serves transactions.
 */
export function logUnhandledRejections(logger: Logger): void {
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection; the process goes on'),
  );
}
