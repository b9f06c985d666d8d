import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { hashSecret } from '../../src/api/credentials';
import { provisionResponse } from '../../src/contract/provision';
import { workflowIdFor } from '../../src/domain/provision';
import { lastClosedDay, nextDay } from '../../src/domain/settlement';
import { createLogger } from '../../src/log';
import type { Behaviour } from '../../src/providers/simulator/behaviours';
import { startApi } from '../../src/runtime';
import { type Answer, send } from '../helpers/channel';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
} from '../helpers/fixtures';
import { nullsIn, type OpenApi, operation, validate } from '../helpers/openapi-schema';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/**
 * Every documented response of every endpoint, produced over real HTTP and checked against the
 * switch's own /openapi.json: the body against the response schema, the status against the list.
 */

let sw: TestSwitch;
let doc: OpenApi;
/** Statuses the running test produced, per operation id. */
const produced = new Map<string, Set<number>>();
/**
 * Documented statuses that need Temporal down or unanswered: `temporal-outage.test.ts` produces
 * them with Temporal behind a proxy that it cuts, `unanswered-reads.test.ts` with no worker.
 */
const unproducible: Record<string, number[]> = {
  health: [503],
  ready: [503],
  lookupVoucher: [504],
  produceSettlementReport: [504],
};
/** The guards' statuses: the last test produces them for every operation that documents them. */
const guardStatuses = [403, 429];

/**
 * The operations each test produces every documented status of (the guards' statuses aside):
 * every operation the document lists is in one of them.
 */
const coverage = {
  provisions: ['provisionVoucher', 'retryProvisionVoucher'],
  provisionAdvices: ['confirmVoucher', 'reverseVoucher'],
  lookups: ['lookupProducts', 'lookupVoucher'],
  redemptions: ['redeemVoucher', 'confirmRedeem', 'reverseRedeem'],
  refunds: ['refundVoucher', 'confirmRefund', 'reverseRefund'],
  health: ['health', 'live', 'ready'],
  operators: ['listTransactions', 'getTransaction', 'safBacklog'],
  settlement: ['listSettlementReports', 'getSettlementReport', 'produceSettlementReport'],
  reconciliation: [
    'reconcileProviderFile',
    'listReconciliations',
    'getReconciliation',
    'resolveReconciliationException',
  ],
  backOffice: ['actOnTransaction', 'actionsAwaitingApproval', 'approveAction', 'rejectAction', 'auditTrail'],
} as const;

const documentedOperations = () =>
  Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));

/** The running test produced every documented status of these operations (only `statuses`, when given). */
function expectEveryStatusProduced(operationIds: readonly string[], statuses?: readonly number[]) {
  const missing = operationIds.flatMap((operationId) =>
    Object.keys(operation(doc, operationId).responses)
      .map(Number)
      .filter((status) => (statuses ? statuses.includes(status) : !guardStatuses.includes(status)))
      .filter((status) => !produced.get(operationId)?.has(status) && !unproducible[operationId]?.includes(status))
      .map((status) => `${operationId} ${status}`),
  );
  expect(missing).toEqual([]);
}

beforeAll(async () => {
  sw = await startTestSwitch({
    PROVIDER_DEADLINES: 'flash:1000',
    SWITCH_CHANNELS: '22222222:password:dual,55555555:secret:dual:stellr,77777777:elsewhere:dual',
    // A channel whose requests come from its own network only: this test comes from 127.0.0.1.
    SWITCH_CHANNEL_NETWORKS: '77777777=10.20.0.0/16',
    // A second back-office operator approves the first's actions; a viewer may only look.
    OPERATORS: [
      `operator:${hashSecret('operator')}:backoffice`,
      `second:${hashSecret('second')}:backoffice`,
      `viewer:${hashSecret('viewer')}:viewer`,
    ].join(','),
  });
  doc = (await send(sw, 'GET', '/openapi.json')).body as unknown as OpenApi;
});
afterAll(() => sw?.stop());
beforeEach(async () => {
  produced.clear();
  await sw.simulator.reset();
});

const stellrChannel = basicAuth('55555555', 'secret');
const tooLarge = JSON.stringify({ padding: 'x'.repeat(70 * 1024) });

/** Calls an operation, and checks the answer against what the document says of it. */
async function call(
  operationId: string,
  options: {
    path?: string;
    query?: string;
    body?: unknown;
    auth?: string;
    contentType?: string;
    headers?: Record<string, string>;
    via?: Pick<TestSwitch, 'url'>;
  } = {},
): Promise<Answer> {
  const op = operation(doc, operationId);
  const path = options.path ?? `${op.path}${options.query ?? ''}`;
  const answer = await send(options.via ?? sw, op.method.toUpperCase(), path, options);
  const documented = op.responses[String(answer.status)];
  expect(documented, `${operationId} answered ${answer.status}, which is not documented: ${answer.text}`).toBeDefined();
  const schema = documented?.content?.['application/json']?.schema;
  expect(schema, `${operationId} ${answer.status} documents no JSON body`).toBeDefined();
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(validate(doc, schema ?? {}, answer.body), `${operationId} ${answer.status}: ${answer.text}`).toEqual([]);
  expect(nullsIn(answer.body), `${operationId} ${answer.status} answered nulls`).toEqual([]);
  if (answer.status === 201) expect(answer.headers.get('location')).toMatch(/^\/(suv\/v1|ops)\//);
  produced.set(operationId, (produced.get(operationId) ?? new Set()).add(answer.status));
  return answer;
}

async function once(behaviour: Omit<Behaviour, 'provider' | 'count'>) {
  await sw.simulator.behave({ provider: 'flash', count: 1, ...behaviour });
}
const slow = { mode: 'timeout', delayMs: 3_000 } as const;
const errors = [{ mode: 'error' }, { mode: 'down' }, slow, { mode: 'decline' }] as const;

async function provision(request: Json = makeProvisionRequest()) {
  const answer = await call('provisionVoucher', { body: request });
  expect(answer.status).toBe(201);
  const { id, voucher } = provisionResponse.parse(answer.body);
  expect(voucher.code).toEqual(expect.any(String));
  return { id, code: String(voucher.code) };
}
async function confirmedVoucher() {
  const voucher = await provision();
  expect((await call('confirmVoucher', { body: makeAdvice(voucher.id) })).status).toBe(202);
  return voucher;
}
async function redeemed(code: string) {
  const request = makeRedemptionRequest(code);
  expect((await call('redeemVoucher', { body: request })).status).toBe(201);
  return request.id as string;
}
async function refunded(code: string) {
  const redemptionId = await redeemed(code);
  expect((await call('confirmRedeem', { body: makeBasicAdvice(redemptionId) })).status).toBe(202);
  const request = makeRefundRequest(code);
  expect((await call('refundVoucher', { body: request })).status).toBe(201);
  return request.id as string;
}

describe('the contract examples', () => {
  it('validate against the document they are examples of', async () => {
    const examples = new URL('../fixtures/contract/', import.meta.url);
    for (const name of ['ProvisionRequest', 'ProvisionResponse', 'RedemptionRequest', 'RedemptionResponse']) {
      const example = JSON.parse(readFileSync(new URL(`${name}.json`, examples), 'utf8'));
      expect(validate(doc, { $ref: `#/components/schemas/${name}` }, example), name).toEqual([]);
    }
    for (const name of ['RefundRequest', 'RefundResponse', 'TenderAdvice', 'BasicAdvice', 'BasicReversal']) {
      const example = JSON.parse(readFileSync(new URL(`${name}.json`, examples), 'utf8'));
      expect(validate(doc, { $ref: `#/components/schemas/${name}` }, example), name).toEqual([]);
    }
  });

  it('are refused by the document when they carry an unknown field or lack a required one', () => {
    const request = makeProvisionRequest({ colour: 'blue' });
    expect(validate(doc, { $ref: '#/components/schemas/ProvisionRequest' }, request)).toEqual([
      '$: unexpected field colour',
    ]);
    const { client: _, ...withoutClient } = makeProvisionRequest();
    expect(validate(doc, { $ref: '#/components/schemas/ProvisionRequest' }, withoutClient)).toEqual([
      '$: missing required client',
    ]);
  });
});

describe('every documented response validates against /openapi.json', () => {
  it('provisionVoucher and retryProvisionVoucher', async () => {
    const voucher = await provision();
    const original = makeProvisionRequest({ id: voucher.id });
    await call('provisionVoucher', { body: original }); // DUPLICATE_RECORD, with the voucher
    await call('provisionVoucher', { body: makeProvisionRequest({ colour: 'blue' }) });
    await call('provisionVoucher', { body: makeProvisionRequest(), auth: '' });
    await call('provisionVoucher', { body: makeProvisionRequest({ receiver: { id: '99999999', name: 'Nobody' } }) });
    await call('provisionVoucher', { body: tooLarge });
    for (const behaviour of errors) {
      await once({ operation: 'provision', ...behaviour });
      await call('provisionVoucher', { body: makeProvisionRequest() });
    }

    await call('retryProvisionVoucher', { path: `/suv/v1/vouchers/${voucher.id}/retry`, body: original });
    await call('retryProvisionVoucher', { path: `/suv/v1/vouchers/${randomUUID()}/retry`, body: original });
    await call('retryProvisionVoucher', { path: `/suv/v1/vouchers/${voucher.id}/retry`, body: original, auth: '' });
    await call('retryProvisionVoucher', { path: `/suv/v1/vouchers/${voucher.id}/retry`, body: tooLarge });
    // Stellr (the second channel's default provider) takes no retries: a hard decline.
    const stellr = makeProvisionRequest({ client: { id: '55555555', name: 'Stellr channel' } });
    delete stellr.receiver;
    await call('retryProvisionVoucher', {
      path: `/suv/v1/vouchers/${stellr.id}/retry`,
      body: stellr,
      auth: stellrChannel,
    });
    for (const behaviour of errors.slice(0, 3)) {
      await once({ operation: 'provision', ...behaviour });
      const request = makeProvisionRequest();
      await call('retryProvisionVoucher', { path: `/suv/v1/vouchers/${request.id}/retry`, body: request });
    }
    expectEveryStatusProduced(coverage.provisions);
  });

  it('confirmVoucher and reverseVoucher', async () => {
    const confirmed = await confirmedVoucher();
    await call('confirmVoucher', { body: makeAdvice(randomUUID()) });
    await call('confirmVoucher', { body: makeAdvice(confirmed.id, { colour: 'blue' }) });
    await call('confirmVoucher', { body: makeAdvice(confirmed.id), auth: '' });
    await call('confirmVoucher', { body: tooLarge });
    await call('reverseVoucher', { body: makeReversal(confirmed.id) }); // VOUCHER_ALREADY_CONFIRMED

    const reversed = await provision();
    await call('reverseVoucher', { body: makeReversal(reversed.id) });
    await call('confirmVoucher', { body: makeAdvice(reversed.id) }); // VOUCHER_ALREADY_REVERSED
    await call('reverseVoucher', { body: makeReversal(randomUUID()) });
    await call('reverseVoucher', { body: makeReversal(reversed.id), auth: '' });
    await call('reverseVoucher', { body: tooLarge });
    expectEveryStatusProduced(coverage.provisionAdvices);
  });

  it('lookupProducts and lookupVoucher', async () => {
    await call('lookupProducts');
    await call('lookupProducts', { query: '?provider=nobody' });
    await call('lookupProducts', { auth: '' });

    const voucher = await provision();
    await call('lookupVoucher', { query: `?provisionRequestId=${voucher.id}` });
    await call('lookupVoucher', { query: `?voucherCode=${voucher.code}` });
    await call('lookupVoucher', { query: `?voucherCode=${randomUUID()}` });
    await call('lookupVoucher', { query: '' });
    await call('lookupVoucher', { query: `?provisionRequestId=${voucher.id}`, auth: '' });
    expectEveryStatusProduced(coverage.lookups);
  });

  it('redeemVoucher, confirmRedeem and reverseRedeem', async () => {
    const voucher = await confirmedVoucher();
    const redemptionId = await redeemed(voucher.code);
    await call('redeemVoucher', { body: makeRedemptionRequest(voucher.code) }); // VOUCHER_ALREADY_REDEEMED
    await call('redeemVoucher', { body: makeRedemptionRequest(voucher.code), auth: '' });
    await call('redeemVoucher', { body: tooLarge });
    for (const behaviour of errors) {
      const fresh = await confirmedVoucher();
      await once({ operation: 'redeem', ...behaviour });
      await call('redeemVoucher', { body: makeRedemptionRequest(fresh.code) });
    }

    await call('confirmRedeem', { body: makeBasicAdvice(randomUUID()) });
    await call('confirmRedeem', { body: makeBasicAdvice(redemptionId, { colour: 'blue' }) });
    await call('confirmRedeem', { body: makeBasicAdvice(redemptionId), auth: '' });
    await call('confirmRedeem', { body: tooLarge });
    await call('confirmRedeem', { body: makeBasicAdvice(redemptionId) });
    await call('reverseRedeem', { body: makeReversal(redemptionId) }); // REDEMPTION_ALREADY_CONFIRMED

    const other = await confirmedVoucher();
    await call('reverseRedeem', { body: makeReversal(await redeemed(other.code)) });
    await call('reverseRedeem', { body: makeReversal(randomUUID()) });
    await call('reverseRedeem', { body: makeReversal(randomUUID()), auth: '' });
    await call('reverseRedeem', { body: tooLarge });
    expectEveryStatusProduced(coverage.redemptions);
  });

  it('refundVoucher, confirmRefund and reverseRefund', async () => {
    const voucher = await confirmedVoucher();
    await call('refundVoucher', { body: makeRefundRequest(voucher.code) }); // VOUCHER_NOT_REDEEMED
    await call('refundVoucher', { body: makeRefundRequest(voucher.code), auth: '' });
    await call('refundVoucher', { body: tooLarge });
    const refundId = await refunded(voucher.code);
    for (const behaviour of errors) {
      const fresh = await confirmedVoucher();
      const redemptionId = await redeemed(fresh.code);
      await call('confirmRedeem', { body: makeBasicAdvice(redemptionId) });
      await once({ operation: 'refund', ...behaviour });
      await call('refundVoucher', { body: makeRefundRequest(fresh.code) });
    }

    await call('confirmRefund', { body: makeBasicAdvice(randomUUID()) });
    await call('confirmRefund', { body: makeBasicAdvice(refundId, { colour: 'blue' }) });
    await call('confirmRefund', { body: makeBasicAdvice(refundId), auth: '' });
    await call('confirmRefund', { body: tooLarge });
    await call('confirmRefund', { body: makeBasicAdvice(refundId) });
    await call('reverseRefund', { body: makeReversal(refundId) }); // REFUND_ALREADY_CONFIRMED

    const other = await confirmedVoucher();
    await call('reverseRefund', { body: makeReversal(await refunded(other.code)) });
    await call('reverseRefund', { body: makeReversal(randomUUID()) });
    await call('reverseRefund', { body: makeReversal(randomUUID()), auth: '' });
    await call('reverseRefund', { body: tooLarge });
    expectEveryStatusProduced(coverage.refunds);
  });

  it('health, live and ready', async () => {
    expect((await call('health')).body).toEqual({ status: 'UP', temporal: 'UP', reportingStore: 'UP' });
    expect((await call('live')).body).toEqual({ status: 'LIVE' });
    expect((await call('ready')).body).toEqual({ status: 'READY' });
    // The input guard refuses a NUL character anywhere in the URL, on every operation.
    for (const probe of coverage.health) expect((await call(probe, { query: '?probe=%00' })).status).toBe(400);
    expectEveryStatusProduced(coverage.health);
  });

  it('listTransactions, getTransaction and safBacklog', async () => {
    const operator = basicAuth('operator', 'operator');
    const voucher = await provision();
    // The reporting copy is written beside the transaction, a moment after the answer.
    await eventually(
      async () =>
        (await send(sw, 'GET', `/ops/transactions/${voucher.id}`, { auth: operator })).status === 200 || undefined,
    );
    await call('listTransactions', { auth: operator });
    await call('listTransactions', { query: '?limit=0', auth: operator });
    await call('listTransactions', { auth: '' });
    await call('getTransaction', { path: `/ops/transactions/${voucher.id}`, auth: operator });
    await call('getTransaction', { path: `/ops/transactions/${randomUUID()}`, auth: operator });
    await call('getTransaction', { path: `/ops/transactions/${voucher.id}`, auth: '' });
    await call('safBacklog', { auth: operator });
    await call('safBacklog', { auth: '' });
    expect((await call('getTransaction', { path: '/ops/transactions/a%00b', auth: operator })).status).toBe(400);
    expect((await call('safBacklog', { query: '?x=%ud800', auth: operator })).status).toBe(400);
    expectEveryStatusProduced(coverage.operators);
  });

  it('listSettlementReports, getSettlementReport and produceSettlementReport', async () => {
    const operator = basicAuth('operator', 'operator');
    const closed = lastClosedDay(new Date(), sw.config.settlement.businessDay);
    const open = nextDay(closed);
    const report = (day: string) => `/ops/reports/${day}`;
    // A day long closed, whose report nothing produced.
    await call('getSettlementReport', { path: report('2020-01-01'), auth: operator });
    await call('produceSettlementReport', { path: report(closed), auth: operator });
    await call('getSettlementReport', { path: report(closed), auth: operator });
    await call('getSettlementReport', { path: report(open), auth: operator });
    await call('produceSettlementReport', { path: report(open), auth: operator });
    await call('getSettlementReport', { path: report('2026-13-01'), auth: operator });
    await call('getSettlementReport', { path: report(closed), query: '?format=xml', auth: operator });
    await call('produceSettlementReport', { path: report('yesterday'), auth: operator });
    await call('listSettlementReports', { auth: operator });
    await call('listSettlementReports', { auth: '' });
    await call('listSettlementReports', { query: '?x=%ud800', auth: operator });
    await call('getSettlementReport', { path: report(closed), auth: '' });
    await call('produceSettlementReport', { path: report(closed), auth: '' });
    expectEveryStatusProduced(coverage.settlement);
  });

  it('reconcileProviderFile, listReconciliations, getReconciliation and resolveReconciliationException', async () => {
    const operator = basicAuth('operator', 'operator');
    const csv = { auth: operator, contentType: 'text/csv' };
    const header = 'switch_reference,provider_reference,type,amount,state,time\n';
    const uploaded = await call('reconcileProviderFile', {
      query: '?provider=flash&day=2026-11-30',
      body: `${header}unknown-reference,P-1,provision,100,CONFIRMED,\n`,
      ...csv,
    });
    expect(uploaded.status).toBe(201);
    const { id } = uploaded.body as { id: string };
    await call('reconcileProviderFile', { query: '?provider=flash&day=2026-11-30', body: 'no header', ...csv });
    await call('reconcileProviderFile', {
      query: '?provider=flash&day=2026-11-30',
      body: header,
      auth: '',
      contentType: 'text/csv',
    });
    await call('reconcileProviderFile', {
      query: '?provider=flash&day=2026-11-30',
      body: `${header}${'x'.repeat(16 * 1024 * 1024)}`,
      ...csv,
    });
    await call('listReconciliations', { auth: operator });
    await call('listReconciliations', { auth: '' });
    await call('listReconciliations', { query: '?x=%ud800', auth: operator });
    await call('getReconciliation', { path: `/ops/reconciliations/${id}`, auth: operator });
    await call('getReconciliation', { path: '/ops/reconciliations/nothing', auth: operator });
    await call('getReconciliation', { path: `/ops/reconciliations/${id}`, auth: '' });
    await call('getReconciliation', { path: '/ops/reconciliations/a%00b', auth: operator });
    const resolution = (position: number) => `/ops/reconciliations/${id}/exceptions/${position}/resolution`;
    await call('resolveReconciliationException', {
      path: resolution(1),
      body: { reason: 'booked by hand' },
      auth: operator,
    });
    await call('resolveReconciliationException', { path: resolution(1), body: { reason: 'again' }, auth: operator });
    await call('resolveReconciliationException', { path: resolution(1), body: { reason: '' }, auth: operator });
    await call('resolveReconciliationException', { path: resolution(1), body: { reason: 'x' }, auth: '' });
    await call('resolveReconciliationException', { path: resolution(1), body: tooLarge, auth: operator });
    expectEveryStatusProduced(coverage.reconciliation);
  });

  it('actOnTransaction, actionsAwaitingApproval, approveAction, rejectAction and auditTrail', async () => {
    const operator = basicAuth('operator', 'operator');
    const second = basicAuth('second', 'second');
    const voucher = await confirmedVoucher();
    const id = workflowIdFor('22222222', voucher.id);
    const actions = `/ops/transactions/${id}/actions`;
    const { advices } = (await eventually(async () => {
      const detail = await send(sw, 'GET', `/ops/transactions/${id}`, { auth: operator });
      return (detail.body as { advices?: { saf: string }[] }).advices?.[0]?.saf === 'delivered'
        ? detail.body
        : undefined;
    })) as { advices: { adviceId: string }[] };
    const act = (body: unknown, options: { auth?: string; via?: Pick<TestSwitch, 'url'>; path?: string } = {}) =>
      call('actOnTransaction', { path: actions, body, auth: operator, ...options });

    await act({ action: 'block-voucher', reason: 'lost' });
    await act({ action: 'unblock-voucher', reason: 'found' });
    await act({ action: 'settle-advice-by-hand', adviceId: advices[0]?.adviceId, reason: 'delivered already' });
    await act({ action: 'confirm' });
    await act({ action: 'confirm', reason: 'x' }, { auth: '' });
    await act({ action: 'confirm', reason: 'x' }, { auth: basicAuth('viewer', 'viewer') });
    await act({ action: 'confirm', reason: 'x' }, { path: `/ops/transactions/${randomUUID()}/actions` });
    await act(tooLarge);

    // The same switch with four eyes, and answers that wait a second and a half for Temporal.
    const fourEyes = {
      ...sw.config,
      fourEyesApproval: true,
      api: { ...sw.config.api, channelResponseTimeoutMs: 1_500 },
    };
    const strict = await startApi(fourEyes, inject('temporalAddress'), sw.reporting, createLogger('silent', 'api'));
    try {
      const via = strict.server;
      const asked = async () =>
        (await act({ action: 'confirm', reason: 'lost confirmation' }, { via })).body as { actionId: string };
      const decision = (
        actionId: string,
        kind: 'approval' | 'rejection',
        options: { auth?: string; body?: unknown } = {},
      ) =>
        call(kind === 'approval' ? 'approveAction' : 'rejectAction', {
          path: `/ops/actions/${actionId}/${kind}`,
          body: {},
          auth: second,
          via,
          ...options,
        });
      const approved = await asked();
      await call('actionsAwaitingApproval', { auth: operator, via });
      await call('actionsAwaitingApproval', { auth: '', via });
      await call('actionsAwaitingApproval', { query: '?x=%ud800', auth: operator, via });
      await decision(approved.actionId, 'approval', { auth: operator });
      await decision(approved.actionId, 'approval');
      await decision(approved.actionId, 'approval');
      await decision(randomUUID(), 'approval');
      await decision(approved.actionId, 'approval', { auth: '' });
      await decision(approved.actionId, 'approval', { body: { colour: 'blue' } });
      await decision(approved.actionId, 'approval', { body: tooLarge });
      const rejected = await asked();
      await decision(rejected.actionId, 'rejection', { auth: operator });
      await decision(rejected.actionId, 'rejection');
      await decision(rejected.actionId, 'rejection');
      await decision(randomUUID(), 'rejection');
      await decision(rejected.actionId, 'rejection', { auth: '' });
      await decision(rejected.actionId, 'rejection', { body: { reason: '' } });
      await decision(rejected.actionId, 'rejection', { body: tooLarge });

      // No worker: Temporal takes the update but nothing answers it in time.
      const open = await provision();
      const unanswered = (
        await act(
          { action: 'confirm', reason: 'lost confirmation' },
          { via, path: `/ops/transactions/${workflowIdFor('22222222', open.id)}/actions` },
        )
      ).body as { actionId: string };
      await sw.worker.stop();
      try {
        expect((await decision(unanswered.actionId, 'approval')).status).toBe(503);
        expect((await act({ action: 'block-voucher', reason: 'stolen' }, { via })).status).toBe(503);
      } finally {
        await sw.worker.start();
      }
    } finally {
      await strict.stop();
    }

    await call('auditTrail', { query: `?transactionId=${id}`, auth: basicAuth('viewer', 'viewer') });
    await call('auditTrail', { query: '?limit=0', auth: operator });
    await call('auditTrail', { auth: '' });
    expectEveryStatusProduced(coverage.backOffice);
  });

  // Each operator operation's second wrong login waits out the guard's two seconds.
  it('every authenticated operation: 403 from outside the channel’s networks, 429 past its limits', async () => {
    // A second API on the same switch, with limits one request wide.
    const strict = {
      ...sw.config,
      api: {
        ...sw.config.api,
        rateLimit: { ratePerSecond: 0.001, burst: 1 },
        login: { ...sw.config.api.login, attemptsPerSecond: 0.001, attemptBurst: 1 },
      },
    };
    const limited = await startApi(strict, inject('temporalAddress'), sw.reporting, createLogger('silent', 'api'));
    try {
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (!op.security?.length) continue;
          const concrete = path.replace('{provisionId}', randomUUID()).replace('{id}', randomUUID());
          const options = { path: concrete, body: method === 'get' ? undefined : makeProvisionRequest() };
          if (path.startsWith('/suv/')) {
            const elsewhere = await call(op.operationId, { ...options, auth: basicAuth('77777777', 'elsewhere') });
            expect(elsewhere.status).toBe(403);
            // The channel's bucket holds one request: the next is refused.
            await call(op.operationId, { ...options, via: limited.server });
            expect((await call(op.operationId, { ...options, via: limited.server })).status).toBe(429);
          } else {
            if (method === 'post') {
              // An operator's browser, on another site's page: refused before the login is checked.
              const forged = {
                ...options,
                auth: basicAuth('operator', 'operator'),
                headers: { origin: 'https://elsewhere.example' },
              };
              expect((await call(op.operationId, forged)).status).toBe(403);
            }
            // An operator login that fails costs a hash; from the same address, the next waits.
            const wrong = basicAuth('operator', `wrong-${randomUUID()}`);
            await call(op.operationId, { ...options, auth: wrong, via: limited.server });
            expect((await call(op.operationId, { ...options, auth: wrong, via: limited.server })).status).toBe(429);
          }
        }
      }
    } finally {
      await limited.stop();
    }
    expectEveryStatusProduced(documentedOperations(), guardStatuses);
  }, 120_000);

  it('covers every documented operation in some test', () => {
    expect(Object.values(coverage).flat().sort()).toEqual(documentedOperations().sort());
  });
});
