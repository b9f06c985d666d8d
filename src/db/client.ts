import { mkdirSync } from 'node:fs';
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
    const client = postgres(url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema, casing: 'snake_case' });
    await inTurn(client, () => migratePostgres(db, { migrationsFolder }));
    return {
      db: db as unknown as ReportingDb,
      kind: 'postgres',
      ping: async () => void (await db.execute(sql`select 1`)),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (!pgliteDir.startsWith('memory://')) mkdirSync(pgliteDir, { recursive: true });
  const client = new PGlite(pgliteDir);
  const db = drizzlePglite(client, { schema, casing: 'snake_case' });
  await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as ReportingDb,
    kind: 'pglite',
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.close(),
  };
}
