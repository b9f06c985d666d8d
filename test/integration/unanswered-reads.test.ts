import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import { workflowIdFor } from '../../src/domain/provision';
import { createLogger } from '../../src/log';
import { type RunningApi, startApi } from '../../src/runtime';
import { settlementReportId } from '../../src/temporal/settlement-schedule';
import { basicAuth, demoChannel, makeProvisionRequest } from '../helpers/fixtures';

/*
 * An API whose transactions no worker runs: Temporal takes every message but answers no query.
 * Whatever the switch must read from a workflow to answer, the channel still hears within its
 * response timeout, never after its own read timeout.
 */

const responseTimeoutMs = 1_500;
let api: RunningApi;
let taskQueue: string;
let reporting: ReportingStore;

beforeAll(async () => {
  const config = loadConfig({
    TEMPORAL_TASK_QUEUE: `unanswered-${randomUUID()}`,
    CHANNEL_RESPONSE_TIMEOUT_MS: String(responseTimeoutMs),
    PROVIDER_DEADLINE_MS: '1000',
    PORT: '0',
    PGLITE_DIR: 'memory://',
  });
  taskQueue = config.temporal.taskQueue;
  reporting = await openReportingStore(config.database);
  api = await startApi(config, inject('temporalAddress'), reporting, createLogger('silent', 'api'));
});
afterAll(async () => {
  await api?.stop();
  await reporting?.close();
});

/** A provision the switch cannot route, its workflow started and never given to a worker. */
async function unansweredProvision() {
  const request = makeProvisionRequest({ product: {}, receiver: { id: '0', name: 'Unrouted' } });
  const transactionId = workflowIdFor(demoChannel.clientId, request.id as string);
  await api.client.workflow.start('provisionVoucher', {
    workflowId: transactionId,
    taskQueue,
    args: [{ channelId: demoChannel.clientId, messageId: request.id }],
  });
  return { request, transactionId };
}

const headers = { 'content-type': 'application/json', authorization: basicAuth(demoChannel.clientId, 'password') };
// The channel's own read timeout: a switch that kept it waiting fails the test here.
const readTimeout = () => AbortSignal.timeout(15_000);

describe('a transaction whose workflow does not answer', () => {
  it('a retry the switch cannot route is answered 504 within the response timeout, and nothing is started', async () => {
    const { request, transactionId } = await unansweredProvision();
    const response = await fetch(`${api.server.url}/suv/v1/vouchers/${request.id}/retry`, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      signal: readTimeout(),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 504,
      body: {
        id: request.id,
        errorType: 'GENERAL_ERROR',
        errorMessage: 'The switch did not get an answer in time; nothing was changed.',
      },
    });
    const { raw } = await api.client.workflow.getHandle(transactionId).describe();
    expect(Number(raw.workflowExecutionInfo?.historyLength)).toBe(2); // started, its first task scheduled
  }, 30_000);

  it('a lookup of its voucher is answered 504 within the response timeout', async () => {
    const { request } = await unansweredProvision();
    const response = await fetch(`${api.server.url}/suv/v1/vouchers?provisionRequestId=${request.id}`, {
      headers,
      signal: readTimeout(),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 504,
      body: expect.objectContaining({
        errorType: 'GENERAL_ERROR',
        errorMessage: 'The switch did not get an answer in time; nothing was changed.',
      }),
    });
  }, 30_000);

  it("an operator's settlement report that takes longer than the response timeout is answered 504, and its workflow goes on", async () => {
    const day = '2026-01-15';
    const response = await fetch(`${api.server.url}/ops/reports/${day}`, {
      method: 'POST',
      headers: { authorization: basicAuth('operator', 'operator') },
      signal: readTimeout(),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 504,
      body: { errorType: 'GENERAL_ERROR', errorMessage: `The report of ${day} is still being produced; ask again.` },
    });
    const report = api.client.workflow.getHandle(settlementReportId(taskQueue, day));
    expect((await report.describe()).status.name).toBe('RUNNING');
    await report.terminate('test over');
  }, 30_000);
});
