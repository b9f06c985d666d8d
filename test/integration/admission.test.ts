import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { demoChannel, makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * MAX_TRANSACTIONS_IN_FLIGHT: an API instance lets that many new transactions wait for their
 * outcome; one more is refused at once, before anything starts, instead of queueing behind them
 * past the channel's timeout (and being reversed).
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch({ MAX_TRANSACTIONS_IN_FLIGHT: '1' });
});
afterAll(() => sw?.stop());

async function refusedAtCapacity(): Promise<number> {
  const text = await (await fetch(`${sw.url}/metrics`)).text();
  return Number(/^switch_transactions_refused_at_capacity_total (\d+)/m.exec(text)?.[1]);
}

describe('an API instance at its limit of transactions in flight', () => {
  it('refuses a new one with 429 and Retry-After, starting nothing, and takes advices and the same message later', async () => {
    const settled = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers', settled)).status).toBe(201);
    const refusedBefore = await refusedAtCapacity();

    // The provider holds its answer: the one place is taken until it answers.
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'ok', count: 1, delayMs: 2_000 });
    const slow = makeProvisionRequest();
    const inFlight = sw.post('/suv/v1/vouchers', slow);
    await sw.simulator.received({ operation: 'provision', channelMessageId: slow.id as string });

    const turnedAway = makeProvisionRequest();
    const refused = await sw.post('/suv/v1/vouchers', turnedAway);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toEqual({
      id: turnedAway.id,
      errorType: 'GENERAL_ERROR',
      errorMessage: 'The switch is at capacity; nothing was done. Send the message again in 1 s.',
    });
    // A retry may ask the provider again: it waits its turn too.
    expect((await sw.post(`/suv/v1/vouchers/${slow.id}/retry`, slow)).status).toBe(429);
    // Nothing started: no workflow, no provider call.
    const handle = sw.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, turnedAway.id as string));
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await sw.simulator.ledger({ channelMessageId: turnedAway.id as string })).toEqual([]);
    // A confirmation finishes a transaction: it is never turned away.
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(settled.id as string))).status).toBe(202);
    expect(await refusedAtCapacity()).toBe(refusedBefore + 2);

    expect((await inFlight).status).toBe(201);
    const sentAgain = await sw.post('/suv/v1/vouchers', turnedAway);
    expect(sentAgain.status).toBe(201);
    expect(sentAgain.body.voucher).toMatchObject({ code: expect.any(String) });
  });
});
