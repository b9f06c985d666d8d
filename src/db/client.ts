import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema';

export type ReportingDb = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface ReportingStore {
  db: ReportingDb;
  /** `postgres` when DATABASE_URL is set, `pglite` for the embedded default. */
  kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface ReportingStoreOptions {
  /** PostgreSQL connection string; when absent, an embedded PGlite database is used. */
  url?: string;
  /** Where PGlite keeps its files; `memory://` keeps nothing. */
  pgliteDir: string;
}

const migrationLock = 'voucher-switch reporting migrations';

/**
 * Runs `migrate` while holding a PostgreSQL advisory lock, so that the processes opening one new
 * database at once (the API and the worker start together) migrate it one after the other; each
 * later one finds the migrations applied. The lock is held by a connection of its own for the
 * whole run, across the migrator's transaction.
 */
async function inTurn(client: postgres.Sql, migrate: () => Promise<void>) {
  const holder = await client.reserve();
  try {
    await holder`select pg_advisory_lock(hashtext(${migrationLock}))`;
    await migrate();
  } finally {
    await holder`select pg_advisory_unlock(hashtext(${migrationLock}))`.catch(() => {});
    holder.release();
  }
}

/** Opens the reporting copy and applies the committed migrations. */
export async function openReportingStore({ url, pgliteDir }: ReportingStoreOptions): Promise<ReportingStore> {
  if (url) {
    // A connection that does not come up within 5 s fails, and its queries with it: a write is then
    // retried rather than held past its activity's timeout (postgres.js waits 30 s by default).
    const client = postgres(url, { max: 10, connect_timeout: 5, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema, casing: 'snake_case' });
    try {
      await inTurn(client, () => migratePostgres(db, { migrationsFolder }));
    } catch (error) {
      // A process that tries again after an outage must not keep the failed try's connections.
      await client.end({ timeout: 1 }).catch(() => {});
      throw error;
    }
    return {
      db: db as unknown as ReportingDb,
      kind: 'postgres',
      ping: async () => void (await db.execute(sql`select 1`)),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const unlock = pgliteDir.startsWith('memory://') ? () => {} : lockDirectory(pgliteDir);
  try {
    const client = new PGlite(pgliteDir);
    const db = drizzlePglite(client, { schema, casing: 'snake_case' });
    await migratePglite(db, { migrationsFolder });
    return {
      db: db as unknown as ReportingDb,
      kind: 'pglite',
      ping: async () => void (await db.execute(sql`select 1`)),
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/** PGlite directories this process has open. */
const openHere = new Set<string>();

/**
 * PGlite is one process's database: a second opening its directory at once would corrupt it.
 * A lock file naming the holder's pid refuses that, with a clear error; one left by a process
 * that is gone is taken over. Returns the release.
 */
function lockDirectory(directory: string): () => void {
  mkdirSync(directory, { recursive: true });
  const key = resolve(directory);
  // Beside the directory, not in it: the directory is PostgreSQL's own.
  const lockFile = `${key}.lock`;
  const refuse = (holder: string) =>
    new Error(
      `PGLITE_DIR ${directory} is open in ${holder}: PGlite serves one process at a time. ` +
        'Run the API and the worker as one process (npm run dev), or give them PostgreSQL (DATABASE_URL).',
    );
  if (openHere.has(key)) throw refuse('this process already');
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw refuse(`process ${holder}`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  openHere.add(key);
  return () => {
    openHere.delete(key);
    rmSync(lockFile, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
