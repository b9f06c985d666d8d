import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { searchAttributeDefinitions } from '../workflows/search-attributes';
import { ensure, temporalCli } from './binaries';

/** The CLI's names for search attribute types. */
const cliType: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * What the dev server's defaults cost a switch and a single-machine server never needs. The CLI
 * forces a search-attribute cache refresh on every read, a setting the server says never to use
 * in production: each read then goes to SQLite, doubling the persistence operations of a
 * provision. And one task-queue partition suits one history shard. A production cluster leaves
 * the first at its default (false) and sizes partitions to its pollers.
 */
export const devServerTuning: Record<string, unknown> = {
  'system.forceSearchAttributesCacheRefreshOnRead': false,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export interface DevServerOptions {
  port: number;
  uiPort: number;
  namespace: string;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server. */
  dbFile?: string;
  /** Start without the Web UI (tests). */
  headless?: boolean;
  /** Dynamic configuration values (`--dynamic-config-value KEY=JSON`) over `devServerTuning`. */
  dynamicConfig?: Record<string, unknown>;
  /**
   * The Web UI's codec server (the API's `/codec`), so it shows decrypted payloads. The CLI has no
   * flag for the UI's "pass access token" or "include cross-origin credentials": operators turn
   * those on in the UI's own codec settings.
   */
  codecEndpoint?: string;
}

export interface DevServer {
  address: string;
  /** The server's process, for measuring it. */
  pid?: number;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once it answers on gRPC. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const cli = ensure(temporalCli);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-level',
    'error',
    // What the SDK's own CI uses: the dev server's single SQLite connection is its bottleneck.
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=OFF',
  ];
  // The transaction workflows set these; a server without them fails their workflow tasks.
  for (const { name, type } of searchAttributeDefinitions) args.push('--search-attribute', `${name}=${cliType[type]}`);
  for (const [key, value] of Object.entries({ ...devServerTuning, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.headless) {
    args.push('--headless');
  } else {
    args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
    if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  }
  const child = spawn(cli, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Temporal dev server exited early (code ${code})`))),
  );
  await Promise.race([waitUntilServing(address), exited]);
  return {
    address,
    pid: child.pid,
    uiUrl: options.headless ? undefined : `http://127.0.0.1:${options.uiPort}`,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.healthService.check({});
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** SIGTERM, then SIGKILL if the process has not gone within five seconds. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
