import { randomUUID } from 'node:crypto';
import postgres from 'postgres';

/** `url` with another database, or reached through another local port (a proxy). */
export function withTarget(url: string, target: { database?: string; port?: number }): string {
  const copy = new URL(url);
  if (target.database) copy.pathname = `/${target.database}`;
  if (target.port) {
    copy.hostname = '127.0.0.1';
    copy.port = String(target.port);
  }
  return copy.toString();
}

/**
 * A database of its own on the PostgreSQL server at `serverUrl`, so that test files running side
 * by side never see each other's rows or race each other's migrations. `drop()` removes it.
 */
export async function temporaryDatabase(serverUrl: string, prefix: string) {
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  return {
    name,
    url: withTarget(serverUrl, { database: name }),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * The reporting stores a test runs on, each with the switch settings that select it: PGlite
 * always, and PostgreSQL (a database of the test's own) when TEST_DATABASE_URL is set.
 */
export function reportingStores(prefix: string) {
  const server = process.env.TEST_DATABASE_URL;
  return [
    { store: 'PGlite', database: async () => ({ env: {}, drop: async () => {} }) },
    ...(server
      ? [
          {
            store: 'PostgreSQL',
            database: async () => {
              const db = await temporaryDatabase(server, prefix);
              return { env: { DATABASE_URL: db.url }, drop: db.drop };
            },
          },
        ]
      : []),
  ];
}
