import { execFileSync } from 'node:child_process';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openReportingStore } from '../../src/db/client';
import { transactions } from '../../src/db/schema';
import { workflowIdFor } from '../../src/domain/provision';
import { listen } from '../../src/http-server';
import { createLogger } from '../../src/log';
import { connectApi } from '../../src/runtime';
import { ensure, temporalCli } from '../../src/temporal/binaries';
import { searchAttributes } from '../../src/workflows/search-attributes';
import { demoAuth } from '../helpers/channel';
import { eventually } from '../helpers/eventually';
import {
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Duplicate detection outlives Temporal's history: once the namespace's retention has deleted a
 * finished transaction's workflow, its message id is still answered as a duplicate, from the
 * reporting copy, and the provider sees nothing again.
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch();
});
afterAll(() => sw?.stop());

/** Waits for the transaction to finish and be recorded in its final state, then deletes its history as retention would. */
async function finishedAndForgotten(workflowId: string, state: string) {
  await sw.client.workflow.getHandle(workflowId).result();
  await eventually(async () => {
    const [row] = await sw.reporting.db.select().from(transactions).where(eq(transactions.id, workflowId));
    return row?.state === state && row.sealedState ? row : undefined;
  });
  execFileSync(ensure(temporalCli), [
    'workflow',
    'delete',
    '--yes',
    '--workflow-id',
    workflowId,
    '--address',
    inject('temporalAddress'),
  ]);

  await eventually(async () => {
    try {
      await sw.client.workflow.getHandle(workflowId).describe();
      return undefined;
    } catch (error) {
      return error instanceof WorkflowNotFoundError ? true : undefined;
    }
  });
}

/** The local activities a transaction's history records, by type (from core's markers, which are not encoded). */
async function localActivities(workflowId: string): Promise<string[]> {
  const { events } = await sw.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type] : [];
  });
}

describe('a message id whose workflow history was deleted', () => {
  it('is still a duplicate: the original voucher, no second provision, and its advices answered by the same rules', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    const first = await sw.post('/suv/v1/vouchers', request);
    expect(first.status).toBe(201);
    // The API looked in the reporting copy before it started the run: the workflow does not look again.
    const workflowId = workflowIdFor('22222222', id);
    expect(await localActivities(workflowId)).toEqual(['provisionAndRecord']);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    await finishedAndForgotten(workflowId, 'CONFIRMED');

    const again = await sw.post('/suv/v1/vouchers', request);
    expect(again).toMatchObject({
      status: 400,
      body: { id, errorType: 'DUPLICATE_RECORD', detailMessage: { voucher: first.body.voucher } },
    });
    const retry = await sw.post(`/suv/v1/vouchers/${id}/retry`, request);
    expect(retry).toMatchObject({ status: 201, body: first.body });
    expect(await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).toMatchObject({ status: 202 });
    expect(await sw.post('/suv/v1/vouchers/reversals', makeReversal(id))).toMatchObject({
      status: 400,
      body: { errorType: 'VOUCHER_ALREADY_CONFIRMED' },
    });

    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => `${e.operation}:${e.outcome}`)).toEqual(['provision:ok', 'confirm:ok']);
    // The earlier run's state came with the new run's start, found by the API.
    expect(await localActivities(workflowId)).toEqual([]);

    // In the Web UI the new run shows the earlier run's state, which it answers for, from its start.
    const run = await sw.client.workflow.getHandle(workflowId).describe();
    expect(run.typedSearchAttributes.get(searchAttributes.state)).toBe('CONFIRMED');
  });

  it('is a duplicate too when the API could not look: the workflow looks in the reporting copy itself', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    const first = await sw.post('/suv/v1/vouchers', request);
    expect(first.status).toBe(201);
    const workflowId = workflowIdFor('22222222', id);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    await finishedAndForgotten(workflowId, 'CONFIRMED');

    // An API process with a reporting copy of its own (its own PGlite), not the one the workers
    // write: it cannot say whether an earlier run left a row, so it starts the run without a word.
    const ownCopy = await openReportingStore({ pgliteDir: 'memory://' });
    const elsewhere = connectApi(
      sw.config,
      inject('temporalAddress'),
      ownCopy,
      createLogger('silent', 'api'),
      undefined,
      undefined,
      undefined,
      false,
    );
    const server = await listen(elsewhere.app, 0);
    try {
      const again = await fetch(`${server.url}/suv/v1/vouchers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: demoAuth },
        body: JSON.stringify(request),
      });
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({
        id,
        errorType: 'DUPLICATE_RECORD',
        detailMessage: { voucher: first.body.voucher },
      });
    } finally {
      await server.close();
      await elsewhere.stop();
      await ownCopy.close();
    }
    // The new run looked itself, and asked the provider nothing.
    expect(await localActivities(workflowId)).toEqual(['findEarlierRun']);
    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => `${e.operation}:${e.outcome}`)).toEqual(['provision:ok', 'confirm:ok']);
  });

  it('of a reversed provision: a retry gets VOUCHER_ALREADY_REVERSED, and the provider nothing', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
    const reversal = makeReversal(id);
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(202);
    await finishedAndForgotten(workflowIdFor('22222222', id), 'REVERSED');

    const retry = await sw.post(`/suv/v1/vouchers/${id}/retry`, request);
    expect(retry).toMatchObject({
      status: 400,
      body: { id, originalId: reversal.id, errorType: 'VOUCHER_ALREADY_REVERSED' },
    });
    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => e.operation)).toEqual(['provision', 'reverse']);
  });

  it('of a redemption: the same id again is a duplicate, redeemed once', async () => {
    const provision = makeProvisionRequest();
    const code = voucherOf((await sw.post('/suv/v1/vouchers', provision)).body).code;
    await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(provision.id as string));
    const redemption = makeRedemptionRequest(code);
    const id = redemption.id as string;
    expect((await sw.post('/suv/v1/redemptions', redemption)).status).toBe(201);
    expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(id))).status).toBe(202);
    await finishedAndForgotten(workflowIdFor('22222222', id, 'redemption'), 'CONFIRMED');

    expect(await sw.post('/suv/v1/redemptions', redemption)).toMatchObject({
      status: 400,
      body: { id, errorType: 'DUPLICATE_RECORD' },
    });
    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => e.operation)).toEqual(['redeem', 'confirmRedeem']);
  });
});
