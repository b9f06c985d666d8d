/**
 * Records workflow histories of the switch as it is now, for the replay test
 * (`test/workflows/replay.test.ts`): every later change to a workflow must replay them.
 *
 *   tsx scripts/record-histories.ts <label>     → test/workflows/histories/<label>/*.json
 *
 * It runs the whole switch in this process (a fresh in-memory Temporal dev server, the provider
 * simulator, a worker and the API over HTTP, PGlite in memory), drives one scenario per kind of
 * history over the channel API, waits for each transaction to end (or to reach the state it
 * waits in), and writes each workflow's history as JSON. Payloads stay encrypted under the
 * published development key, which the replay test uses too.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { hashSecret } from '../src/api/credentials';
import { loadConfig } from '../src/config';
import { openReportingStore } from '../src/db/client';
import { listen } from '../src/http-server';
import { createLogger } from '../src/log';
import { createSimulatorApp } from '../src/providers/simulator/app';
import { startApi, startWorker } from '../src/runtime';
import { ensure, temporalCli } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { voucherKeyer } from '../src/voucher-key';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
} from '../test/helpers/fixtures';
import { freePort } from '../test/helpers/ports';

const label = process.argv[2];
if (!label) {
  console.error('usage: tsx scripts/record-histories.ts <label>');
  process.exit(2);
}
const outDir = new URL(`../test/workflows/histories/${label}/`, import.meta.url);
mkdirSync(outDir, { recursive: true });

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await startDevServer({
  port: await freePort(),
  uiPort: await freePort(),
  namespace: 'default',
  headless: true,
});
const simulator = await listen(createSimulatorApp().app, 0);
const dual = { clientId: '22222222', password: 'password' };
const single = { clientId: '66666666', password: 'single' };
const config = loadConfig(
  {
    PORT: '0',
    PROVIDER_SIM_URL: simulator.url,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `record-${randomUUID()}`,
    PGLITE_DIR: 'memory://',
    LOG_LEVEL: 'silent',
    ALLOW_PLAIN_HTTP: 'true',
    RATE_LIMIT_PER_SECOND: '0',
    PROVIDER_DEADLINE_MS: '1000',
    CONFIRMATION_WINDOW_MS: '2000',
    CONFIRMATION_DEADLINE_MS: '3000',
    SWITCH_CHANNELS: [
      `${dual.clientId}:${hashSecret(dual.password)}:dual`,
      `${single.clientId}:${hashSecret(single.password)}:single`,
    ].join(','),
  },
  { servesApi: true },
);
const reporting = await openReportingStore(config.database);
const worker = await startWorker(config, server.address, reporting);
const api = await startApi(config, server.address, reporting, createLogger('silent', 'api'));
const client = api.client;
const voucherKey = voucherKeyer(config.vouchers.hashKey);

async function post(path: string, body: Json, channel = dual) {
  const response = await fetch(`${api.server.url}/suv/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(channel.clientId, channel.password) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function behave(behaviour: Json) {
  await fetch(`${simulator.url}/sim/behaviours`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(behaviour),
  });
}

const flash = {
  product: { productId: 'flash-1voucher' },
  amounts: { requestAmount: { amount: 10_000, currency: '710' } },
};
const netcare = {
  product: { productId: 'netcare-gp-visit' },
  amounts: { requestAmount: { amount: 55_000, currency: '710' } },
};

/** Workflow ids to export, with the name of their file. */
const recorded: { name: string; workflowId: string }[] = [];
const record = (name: string, type: string, channelId: string, id: string) =>
  recorded.push({ name, workflowId: `${type}-${channelId}-${id}` });

async function provisioned(overrides: Json = flash, channel = dual) {
  const request = makeProvisionRequest({ ...overrides, client: { id: channel.clientId, name: 'Channel' } });
  const answer = await post('/vouchers', request, channel);
  if (answer.status !== 201) throw new Error(`provision answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { id: request.id as string, code: (answer.body.voucher as { code: string }).code };
}

// Dual messaging, confirmed by the channel; its voucher redeemed and confirmed, then refunded and confirmed.
const confirmed = await provisioned();
await post('/vouchers/confirmations', makeAdvice(confirmed.id));
record('provision-dual-confirmed', 'provision', dual.clientId, confirmed.id);
const redemption = makeRedemptionRequest(confirmed.code);
await post('/redemptions', redemption);
await post('/redemptions/confirmations', makeBasicAdvice(redemption.id as string));
record('redemption-confirmed', 'redemption', dual.clientId, redemption.id as string);
const refund = makeRefundRequest(confirmed.code);
await post('/refunds', refund);
await post('/refunds/confirmations', makeBasicAdvice(refund.id as string));
record('refund-confirmed', 'refund', dual.clientId, refund.id as string);

// A second voucher: a redemption reversed by the channel, a refund reversed.
const second = await provisioned();
await post('/vouchers/confirmations', makeAdvice(second.id));
const reversedRedemption = makeRedemptionRequest(second.code);
await post('/redemptions', reversedRedemption);
await post('/redemptions/reversals', makeReversal(reversedRedemption.id as string));
record('redemption-reversed', 'redemption', dual.clientId, reversedRedemption.id as string);

// Dual messaging, reversed by the channel; then its retry.
const reversed = await provisioned();
await post('/vouchers/reversals', makeReversal(reversed.id));
await post(`/vouchers/${reversed.id}/retry`, makeProvisionRequest({ ...flash, id: reversed.id }));
record('provision-dual-reversed-then-retried', 'provision', dual.clientId, reversed.id);

// Dual messaging, left unconfirmed: the switch reverses it at the deadline.
const unconfirmed = await provisioned();
record('provision-dual-deadline', 'provision', dual.clientId, unconfirmed.id);

// Single messaging: the switch confirms when the window closes.
const singleConfirmed = await provisioned(flash, single);
record('provision-single-window', 'provision', single.clientId, singleConfirmed.id);

// Single messaging, reversed by the channel within the window.
const singleReversed = await provisioned(flash, single);
await post('/vouchers/reversals', makeReversal(singleReversed.id), single);
record('provision-single-reversed', 'provision', single.clientId, singleReversed.id);

// The provider declines (below the product's minimum).
const declined = makeProvisionRequest({ ...flash, amounts: { requestAmount: { amount: 500, currency: '710' } } });
await post('/vouchers', declined);
record('provision-declined', 'provision', dual.clientId, declined.id as string);

// The provider times out: the switch reverses by itself.
await behave({ provider: 'flash', operation: 'provision', mode: 'timeout', count: 1, delayMs: 1500 });
const timedOut = makeProvisionRequest(flash);
await post('/vouchers', timedOut);
record('provision-timeout', 'provision', dual.clientId, timedOut.id as string);

// A reversal before its request; the late request refused.
const early = makeProvisionRequest(flash);
await post('/vouchers/reversals', makeReversal(early.id as string));
await post('/vouchers', early);
record('provision-early-reversal', 'provision', dual.clientId, early.id as string);

// Netcare (a regular activity, no retries), confirmed, a duplicate request and a retry answered.
const netcareConfirmed = await provisioned(netcare);
await post('/vouchers', makeProvisionRequest({ ...netcare, id: netcareConfirmed.id }));
await post(`/vouchers/${netcareConfirmed.id}/retry`, makeProvisionRequest({ ...netcare, id: netcareConfirmed.id }));
await post('/vouchers/confirmations', makeAdvice(netcareConfirmed.id));
record('provision-netcare-confirmed', 'provision', dual.clientId, netcareConfirmed.id);

// A redemption of an unknown voucher: refused.
const unknown = makeRedemptionRequest('0000111122223333');
await post('/redemptions', unknown);
record('redemption-unknown-voucher', 'redemption', dual.clientId, unknown.id as string);

// A confirmation the provider cannot take yet: store-and-forward retries it.
await behave({ provider: 'flash', operation: 'confirm', mode: 'error', count: 2 });
const retried = await provisioned();
await post('/vouchers/confirmations', makeAdvice(retried.id));
record('provision-confirmation-retried', 'provision', dual.clientId, retried.id);

/** Waits until each transaction workflow has closed: the deadlines and windows above are a few seconds. */
async function closed(workflowId: string) {
  for (let i = 0; i < 200; i++) {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'RUNNING') return;
    await sleep(100);
  }
  throw new Error(`${workflowId} did not close`);
}
console.log(`driven: ${recorded.length} transactions`);
for (const { workflowId } of recorded) await closed(workflowId);
// The voucher workflows run until their expiry: their histories so far.
recorded.push(
  { name: 'voucher-refunded', workflowId: `voucher-${voucherKey(confirmed.code)}` },
  { name: 'voucher-redemption-reversed', workflowId: `voucher-${voucherKey(second.code)}` },
);

// The CLI writes the history format the SDKs replay (@temporalio/common's historyToJSON fails beside
// the protobufjs that @temporalio/proto brings).
for (const { name, workflowId } of recorded) {
  const json = execFileSync(
    ensure(temporalCli),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'],
    { encoding: 'utf8' },
  );
  writeFileSync(new URL(`${name}.json`, outDir), json);
  console.log(`${name}: ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
}

await api.stop();
await worker.stop();
await reporting.close();
await simulator.close();
await server.stop();
process.exit(0);
