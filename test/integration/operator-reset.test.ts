import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { transactions } from '../../src/db/schema';
import { workflowIdFor } from '../../src/domain/provision';
import { ensure, temporalCli } from '../../src/temporal/binaries';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';
import { searchAttributes } from '../../src/workflows/search-attributes';
import { eventually } from '../helpers/eventually';
import { makeAdvice, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch, workflowBundle } from '../helpers/switch';

/*
 * An operator resets a transaction's workflow (the Web UI's or the CLI's reset) to re-run it
 * from a point in its history. The new run's history is the old run's up to that point, so it
 * can be shorter than the old run's whole history: the reporting copy, which finance settles
 * from, must follow the new run all the same.
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch();
});
afterAll(() => sw?.stop());

/** Resets the transaction's workflow as an operator would with the CLI (`args`: where to, and what not to take again). */
function reset(workflowId: string, ...args: string[]) {
  execFileSync(ensure(temporalCli), [
    'workflow',
    'reset',
    '--workflow-id',
    workflowId,
    ...args,
    '--reason',
    'an operator re-runs the transaction',
    '--address',
    inject('temporalAddress'),
  ]);
}

/** Replays the run's whole history with today's workflow code, as a worker that had not cached it would. */
async function replay(workflowId: string, runId: string) {
  const history = await sw.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const dataConverter = switchDataConverter(createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys)));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, history, workflowId);
}

/** The transaction's row in the reporting copy. */
async function rowOf(workflowId: string) {
  const [row] = await sw.reporting.db.select().from(transactions).where(eq(transactions.id, workflowId));
  return row;
}

describe('a transaction an operator reset', () => {
  it('is shown in the reporting copy as its new run has it, not as the run it replaced', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    const workflowId = workflowIdFor('22222222', id);
    const old = sw.client.workflow.getHandle(workflowId);
    await old.result();
    const oldRun = await rowOf(workflowId);
    expect(oldRun).toMatchObject({ state: 'CONFIRMED' });

    // Back to the task that took the confirmation, without the confirmation: the new run awaits
    // its settlement again, from a history shorter than the whole of the old run's.
    const events = (await old.fetchHistory()).events ?? [];
    const [, confirmationTask] = events.filter((event) => event.workflowTaskCompletedEventAttributes);
    reset(workflowId, '--event-id', String(confirmationTask?.eventId), '--reapply-exclude', 'Update');
    const newRunId = (await sw.client.workflow.getHandle(workflowId).describe()).runId;
    expect(newRunId).not.toBe(oldRun?.runId);

    // The provider takes no reversal for now: the new run records its reversal, then waits to deliver it.
    await sw.simulator.behave({ provider: '*', operation: 'reverse', mode: 'down' });
    expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(id))).status).toBe(202);
    const row = await eventually(async () => {
      const found = await rowOf(workflowId);
      return found?.runId === newRunId ? found : undefined;
    });
    expect(row).toMatchObject({ state: 'REVERSED' });
    expect(row.revision).toBeLessThan(oldRun?.revision ?? 0);

    await sw.simulator.reset();
    const current = sw.client.workflow.getHandle(workflowId, newRunId);
    await current.result();
    expect((await current.describe()).typedSearchAttributes.get(searchAttributes.state)).toBe('REVERSED');
    expect(await rowOf(workflowId)).toMatchObject({ state: 'REVERSED', runId: newRunId });
    await replay(workflowId, newRunId);
  });

  it('reset to its start, asks the provider nothing again and keeps the state it had', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    const first = await sw.post('/suv/v1/vouchers', request);
    expect(first.status).toBe(201);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    const workflowId = workflowIdFor('22222222', id);
    await sw.client.workflow.getHandle(workflowId).result();
    const before = await rowOf(workflowId);

    reset(workflowId, '--type', 'FirstWorkflowTask');
    const current = sw.client.workflow.getHandle(workflowId);
    const newRunId = (await current.describe()).runId;
    expect(newRunId).not.toBe(before?.runId);
    await current.result();

    // The new run found the old run's row, and only answers for it.
    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => `${e.operation}:${e.outcome}`)).toEqual(['provision:ok', 'confirm:ok']);
    expect((await current.describe()).typedSearchAttributes.get(searchAttributes.state)).toBe('CONFIRMED');
    expect(await sw.post(`/suv/v1/vouchers/${id}/retry`, request)).toMatchObject({ status: 201, body: first.body });
    expect(await rowOf(workflowId)).toMatchObject({ state: 'CONFIRMED', runId: before?.runId });
    await replay(workflowId, newRunId);
  });
});
