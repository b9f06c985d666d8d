import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { settlingRetries } from '../../src/temporal/client-retries';
import { eventually } from '../helpers/eventually';
import { demoChannel, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

/*
 * Temporal out of reach (a server restart, a network cut): the switch cannot learn a new
 * transaction's outcome in time and says so, but a transaction settled for good in the reporting
 * copy, a reversal that came before its request, is still answered as it must be.
 */

let proxy: TcpProxy;
let sw: TestSwitch;
beforeAll(async () => {
  const [host, port] = inject('temporalAddress').split(':');
  proxy = await startTcpProxy({ host: host ?? '127.0.0.1', port: Number(port) });
  sw = await startTestSwitch({
    TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
    PROVIDER_DEADLINE_MS: '500',
    CHANNEL_RESPONSE_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  proxy?.restore();
  await sw?.stop();
  await proxy?.close();
});

// The worker is behind the proxy too: the last test leaves it reconnecting.
describe('while Temporal cannot be reached', () => {
  it('refuses a request whose reversal came first, from the reporting copy; a new one is late (504)', async () => {
    const request = makeProvisionRequest();
    const reversal = makeReversal(request.id as string);
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(404);
    const workflowId = workflowIdFor(demoChannel.clientId, request.id as string);
    await eventually(async () => (await findTransaction(sw.reporting.db, workflowId)) ?? undefined);

    proxy.cut();
    try {
      expect(await sw.post('/suv/v1/vouchers', request)).toMatchObject({
        status: 400,
        body: { id: request.id, originalId: reversal.id, errorType: 'VOUCHER_ALREADY_REVERSED' },
      });
      const unseen = makeProvisionRequest();
      expect(await sw.post('/suv/v1/vouchers', unseen)).toMatchObject({
        status: 504,
        body: { id: unseen.id, errorType: 'GENERAL_ERROR' },
      });
    } finally {
      proxy.restore();
    }
  });

  it('is live but not ready, and says why in /health and /metrics; ready again once Temporal is back', async () => {
    proxy.cut();
    try {
      expect(await sw.get('/live', '')).toEqual({ status: 200, body: { status: 'LIVE' } });
      expect(await sw.get('/ready', '')).toEqual({ status: 503, body: { status: 'NOT_READY' } });
      expect(await sw.get('/health', '')).toEqual({
        status: 503,
        body: { status: 'DOWN', temporal: 'DOWN', reportingStore: 'UP' },
      });
      const metrics = await (await fetch(`${sw.url}/metrics`)).text();
      expect(metrics).toContain('switch_dependency_up{dependency="temporal"} 0');
      expect(metrics).toContain('switch_dependency_up{dependency="reporting_store"} 1');
    } finally {
      proxy.restore();
    }
    await eventually(async () => (await sw.get('/ready', '')).status === 200 || undefined);
    expect(await (await fetch(`${sw.url}/metrics`)).text()).toContain('switch_dependency_up{dependency="temporal"} 1');
  });
});

describe('a connection to Temporal that closes while a failed call waits to be retried', () => {
  it('makes no retry on the closed connection: the retries scheduled are made first, and no more', async () => {
    // Nothing listens there: every attempt fails as unavailable, which the client retries.
    const retries = settlingRetries();
    const connection = Connection.lazy({
      address: `127.0.0.1:${await freePort()}`,
      interceptors: [retries.interceptor],
    });
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      () => 'failed',
    );
    await eventually(async () => retries.waiting() > 0 || undefined);
    // A retry made on a closed connection throws from its timer, where nothing can catch it.
    const uncaught: unknown[] = [];
    const note = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', note);
    try {
      await retries.settle();
      await connection.close();
      expect(await call).toBe('failed');
      expect(retries.waiting()).toBe(0);
    } finally {
      process.off('uncaughtException', note);
    }
    expect(uncaught).toEqual([]);
  });
});
