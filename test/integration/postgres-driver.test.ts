import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const serverUrl = process.env.TEST_DATABASE_URL;
const root = fileURLToPath(new URL('../..', import.meta.url));

/*
 * The PostgreSQL driver, as patched (patches/postgres+*.patch): a query on a connection the server
 * has closed fails as a connection error (CONNECTION_CLOSED, or ECONNRESET when it was written
 * before the close was seen). Unpatched, postgres.js writes to the socket it has already dropped
 * and throws a TypeError from a timer, which no caller can catch: it took a worker down in the
 * fault suite when the reporting database was cut (porsager/postgres#1154). Only one query is
 * sent: under load, a second on that dead reserved connection may wait for a reconnection that
 * does not come, a driver behaviour apart from the crash, which the switch's timeouts bound.
 * In a process of its own, so that the uncaught throw it guards against shows as an exit code.
 */
const script = `
import postgres from 'postgres';
const url = process.env.TEST_DATABASE_URL;
process.on('uncaughtException', (error) => { console.log(JSON.stringify({ uncaught: error.message })); process.exit(2); });
const sql = postgres(url, { max: 1, onnotice: () => {} });
const admin = postgres(url, { max: 1, onnotice: () => {} });
const reserved = await sql.reserve();
const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
await admin\`select pg_terminate_backend(\${pid})\`;
while ((await admin\`select 1 from pg_stat_activity where pid = \${pid}\`).length > 0) await new Promise((r) => setTimeout(r, 20));
let outcome;
try { await reserved\`select 1\`; outcome = 'answered'; } catch (error) { outcome = error.code ?? error.message; }
console.log(JSON.stringify({ outcome }));
reserved.release();
await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
`;

describe.skipIf(!serverUrl)('the PostgreSQL driver, when the server closes a connection', () => {
  it('fails a query on it as a connection error instead of crashing the process', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, TEST_DATABASE_URL: serverUrl },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const lines = run.stdout.trim().split('\n');
    const { outcome } = JSON.parse(lines.at(-1) || '{}');
    expect(['CONNECTION_CLOSED', 'ECONNRESET'], `${run.stdout}${run.stderr}`).toContain(outcome);
    expect(run.status).toBe(0);
  });
});
