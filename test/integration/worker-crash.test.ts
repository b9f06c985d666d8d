import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { provisionResponse } from '../../src/contract/provision';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { listen, type RunningServer } from '../../src/http-server';
import { createLogger } from '../../src/log';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { type RunningApi, startApi } from '../../src/runtime';
import { transactionSnapshot } from '../../src/workflows/messages';
import { eventually } from '../helpers/eventually';
import { basicAuth, demoChannel, type Json, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { temporaryDatabase } from '../helpers/postgres';

const dataDir = mkdtempSync(join(tmpdir(), 'switch-crash-'));
const sim = createSimulatorApp();
let simulator: RunningServer;
let api: RunningApi;
let reporting: ReportingStore;
let env: Record<string, string>;
const workers: ChildProcess[] = [];

/** A worker in its own process, as in production, so that it can be killed outright. */
function startWorkerProcess(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: { ...process.env, ...env, PGLITE_DIR: join(dataDir, `pglite-${workers.length}`), ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('worker running')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
}

beforeAll(async () => {
  simulator = await listen(sim.app, 0);
  env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `crash-${randomUUID()}`,
    PROVIDER_SIM_URL: simulator.url,
    // The lost activity is noticed at deadline + 5 s.
    PROVIDER_DEADLINES: 'flash:2000,netcare:2000',
    LOG_LEVEL: 'info',
    METRICS_PORT: '0', // workers may run side by side
    TEMPORAL_SDK_METRICS_PORT: '0',
  };
  const config = loadConfig({ ...env, PORT: '0', PGLITE_DIR: 'memory://' });
  reporting = await openReportingStore(config.database);
  api = await startApi(config, env.TEMPORAL_ADDRESS as string, reporting, createLogger('silent', 'api'));
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await api?.stop();
  await reporting?.close();
  await simulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function post(baseUrl: string, path: string, body: Json) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: basicAuth(demoChannel.clientId, demoChannel.password),
    },
    body: JSON.stringify(body),
  });
}

/** Sends a provision and kills the worker while the provider is still answering. */
async function provisionAndKillTheWorker(provider: 'flash' | 'netcare', overrides = {}, baseUrl = api.server.url) {
  sim.behaviours.add({ provider, operation: 'provision', mode: 'ok', count: 1, delayMs: 1_500 });
  const request = makeProvisionRequest(overrides);
  const answer = post(baseUrl, '/suv/v1/vouchers', request);
  // The provider has the request and holds its answer for 1.5 s: the call is under way.
  await sim.received({ provider, operation: 'provision', channelMessageId: request.id as string });
  workers.at(-1)?.kill('SIGKILL');
  return { request, answer };
}

/** Sends a provision, kills the worker while the provider is still answering, and starts another. */
async function provisionThroughACrash(provider: 'flash' | 'netcare', overrides = {}) {
  const { request, answer } = await provisionAndKillTheWorker(provider, overrides);
  await startWorkerProcess();
  const response = await answer;
  const handle = api.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, request.id as string));
  const ledger = () => sim.ledger.filter((e) => e.channelMessageId === request.id);
  const body: unknown = await response.json();
  return { status: response.status, body, handle, ledger };
}

describe('a worker killed in the middle of a provision', () => {
  beforeAll(() => startWorkerProcess());

  it('for a provider that takes retries: the next worker asks again with the same reference, and the channel gets its voucher', async () => {
    const { status, body, handle, ledger } = await provisionThroughACrash('flash');
    expect(status).toBe(201);
    expect(provisionResponse.parse(body).voucher).toMatchObject({ code: expect.any(String) });
    expect((await handle.query(transactionSnapshot)).phase).toBe('APPROVED');
    // One voucher: the second request was answered from the provider's own record of the first.
    expect(ledger().map((e) => [e.operation, e.outcome])).toEqual([
      ['provision', 'ok'],
      ['provision', 'replayed'],
    ]);
  }, 60_000);

  it('for a provider without retries: the channel is told it failed, and the switch reverses', async () => {
    const netcare = {
      product: { productId: 'netcare-gp-visit' },
      amounts: { requestAmount: { amount: 55_000, currency: '710' } },
    };
    const { status, handle, ledger } = await provisionThroughACrash('netcare', netcare);
    expect(status).toBe(504);
    expect((await handle.result()).phase).toBe('REVERSED');
    const entries = await eventually(async () =>
      ledger().some((e) => e.operation === 'reverse') ? ledger() : undefined,
    );
    expect(entries.map((e) => e.operation).sort()).toEqual(['provision', 'reverse']);
  }, 60_000);

  it('for a channel answered 504: the switch reverses the voucher the provider issued, and the channel may reverse too', async () => {
    // This channel waits less than a worker takes to come back, so its provision is answered 504.
    const config = loadConfig({
      ...env,
      PORT: '0',
      PGLITE_DIR: 'memory://',
      CHANNEL_RESPONSE_TIMEOUT_MS: '1500',
      PROVIDER_DEADLINE_MS: '1000',
      PROVIDER_DEADLINES: '',
    });
    const impatient = await startApi(config, env.TEMPORAL_ADDRESS as string, reporting, createLogger('silent', 'api'));
    try {
      const { request, answer } = await provisionAndKillTheWorker('flash', {}, impatient.server.url);
      expect((await answer).status).toBe(504);
      const reversal = makeReversal(request.id as string);
      const reverse = () => post(impatient.server.url, '/suv/v1/vouchers/reversals', reversal);
      const first = reverse();
      await startWorkerProcess();
      let status = (await first).status;
      // As the contract asks of a channel, a reversal answered 504 is sent again.
      for (let tries = 0; status === 504 && tries < 10; tries++) status = (await reverse()).status;
      expect(status).toBe(202);
      const handle = api.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, request.id as string));
      const final = await handle.result();
      expect(final.phase).toBe('REVERSED');
      // The switch reversed it for the channel it answered 504, whichever of its reversal and the channel's came first.
      expect(final.advices).toMatchObject([{ kind: 'reverse', reason: 'TIMEOUT' }]);
      expect(final.channelError).toMatchObject({ status: 504 });
      const ledger = () => sim.ledger.filter((e) => e.channelMessageId === request.id);
      const reversed = await eventually(async () =>
        ledger().some((e) => e.operation === 'reverse' && e.outcome === 'ok') ? ledger() : undefined,
      );
      // The provider's voucher: issued once (the next worker's request was answered from its record), then reversed.
      const issued = reversed.filter((e) => e.operation === 'provision' && e.outcome === 'ok');
      expect(issued).toHaveLength(1);
      expect(reversed.find((e) => e.operation === 'reverse')?.requestId).toBe(issued[0]?.id);
    } finally {
      await impatient.stop();
    }
  }, 60_000);
});

/** A channel API with its own worker (API_WORKER), in its own process so that it can be killed outright. */
async function startApiWithWorkerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      ...env,
      API_WORKER: 'true',
      PORT: String(port),
      ALLOW_PLAIN_HTTP: 'true',
      PGLITE_DIR: join(dataDir, `pglite-api-${workers.length}`),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('channel API listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`API exited with ${code}: ${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

describe('an API process with its own worker (API_WORKER) killed while its eager task calls the provider', () => {
  it('another worker finishes the provision with the same reference, and the channel gets the voucher by its retry', async () => {
    if (workers.every((worker) => worker.exitCode !== null || worker.signalCode !== null)) await startWorkerProcess();
    const instance = await startApiWithWorkerProcess();
    sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'ok', count: 1, delayMs: 1_500 });
    const request = makeProvisionRequest();
    const lost = post(instance.url, '/suv/v1/vouchers', request).catch((error: Error) => error);
    await sim.received({ provider: 'flash', operation: 'provision', channelMessageId: request.id as string });
    instance.child.kill('SIGKILL');
    expect(await lost).toBeInstanceOf(Error); // the channel's connection went with the process

    const handle = api.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, request.id as string));
    // The first task was the killed process's (eager), the next ones another worker's, after the task timed out.
    const approved = await eventually(async () => {
      const state = await handle.query(transactionSnapshot);
      return state.phase === 'APPROVED' ? state : undefined;
    }, 40_000);
    expect(approved.phase).toBe('APPROVED');
    const { events } = await handle.fetchHistory();
    const identities = (events ?? [])
      .filter((event) => event.workflowTaskStartedEventAttributes)
      .map((event) => event.workflowTaskStartedEventAttributes?.identity);
    expect(identities[0]).toMatch(new RegExp(`^${instance.child.pid}@`));
    expect(identities.slice(1).every((identity) => !identity?.startsWith(`${instance.child.pid}@`))).toBe(true);

    const retry = await post(api.server.url, `/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retry.status).toBe(201);
    expect(provisionResponse.parse(await retry.json()).voucher).toMatchObject({ code: expect.any(String) });
    // One voucher: the next worker's request was answered from the provider's record of the first.
    const ledger = sim.ledger.filter((e) => e.channelMessageId === request.id);
    expect(ledger.map((e) => [e.operation, e.outcome])).toEqual([
      ['provision', 'ok'],
      ['provision', 'replayed'],
    ]);
  }, 90_000);
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'a worker frozen in a workflow task that another worker then ran again',
  () => {
    it('cannot leave in the reporting copy what its lost task saw', async () => {
      for (const worker of workers) worker.kill('SIGKILL');
      const database = await temporaryDatabase(process.env.TEST_DATABASE_URL as string, 'crash');
      // The workers share the reporting copy, as in production.
      const shared = { DATABASE_URL: database.url };
      const copy = await openReportingStore({ url: database.url, pgliteDir: '' });
      try {
        const frozen = await startWorkerProcess(shared);
        // The first call gets no answer in time; asked again, the provider declines (the last rule added applies first).
        sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
        sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'timeout', count: 1 });
        const request = makeProvisionRequest();
        const answered = post(api.server.url, '/suv/v1/vouchers', request);
        await sim.received({ provider: 'flash', operation: 'provision', channelMessageId: request.id as string });
        frozen.kill('SIGSTOP');
        await startWorkerProcess(shared);

        // The frozen worker's task times out, and another worker runs it again: declined.
        const workflowId = workflowIdFor(demoChannel.clientId, request.id as string);
        expect((await api.client.workflow.getHandle(workflowId).result()).phase).toBe('DECLINED');
        await answered;
        const declined = await eventually(async () => {
          const row = await findTransaction(copy.db, workflowId);
          return row?.state === 'DECLINED' ? row : undefined;
        });

        // Woken, the frozen worker goes on with the tasks it held: its call timed out, it asks the
        // provider again, writes what it saw, and is refused the task. Stopped, it finishes them first.
        const stopped = new Promise((resolve) => frozen.once('exit', resolve));
        frozen.kill('SIGCONT');
        frozen.kill('SIGTERM');
        await stopped;
        const row = await findTransaction(copy.db, workflowId);
        expect(row).toMatchObject({ state: 'DECLINED', revision: declined.revision });
        expect(row?.advices).toEqual([]);
        // Asked again with the reference it declined, the provider declines again: no voucher for a declined sale.
        const outcomes = sim.ledger.filter((e) => e.channelMessageId === request.id).map((e) => e.outcome);
        expect(outcomes).toContain('declined');
        expect(outcomes).not.toContain('ok');
      } finally {
        await copy.close();
        await database.drop();
      }
    }, 90_000);
  },
);
