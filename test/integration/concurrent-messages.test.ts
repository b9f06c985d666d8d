import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';
import { transactionSnapshot } from '../../src/workflows/messages';
import { eventually } from '../helpers/eventually';
import { demoChannel, makeAdvice, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch, workflowBundle } from '../helpers/switch';

/*
 * A channel that sends a provision, its retry, its reversal and its confirmation all at once,
 * as an impatient client or a replaying proxy may. Whatever order they reach the switch in,
 * the money must move once: the provider provisions at most once, the channel is never told
 * that both the confirmation and the reversal were accepted, an accepted advice is what
 * happens, and the histories the race leaves replay on today's code. The channel looks its
 * voucher up at the same moment: a read that must not disturb the transaction's history.
 */

const rounds = 24;

/** Both ways a request reaches its workflow: update-with-start, or an eager start then the update. */
const shapes: { shape: string; env: Record<string, string> }[] = [
  { shape: 'update-with-start', env: {} },
  { shape: "eager start on the API process's worker (API_WORKER)", env: { API_WORKER: 'true' } },
];

describe.each(shapes)('messages of one transaction sent at once, $shape', ({ env }) => {
  let sw: TestSwitch;
  beforeAll(async () => {
    sw = await startTestSwitch({ PROVIDER_DEADLINE_MS: '1000', CHANNEL_RESPONSE_TIMEOUT_MS: '5000', ...env });
  });
  afterAll(() => sw?.stop());

  it.each(Array.from({ length: rounds }, (_, round) => round))('round %i moves the money once', async (round) => {
    const id = randomUUID();
    const messages = [
      () => sw.post('/suv/v1/vouchers', makeProvisionRequest({ id })),
      () => sw.post(`/suv/v1/vouchers/${id}/retry`, makeProvisionRequest({ id })),
      () => sw.post('/suv/v1/vouchers/reversals', makeReversal(id)),
      () => sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id)),
      // The channel looking its voucher up meanwhile: a read of the running transaction.
      () => sw.get(`/suv/v1/vouchers?provisionRequestId=${id}`),
    ];
    // Each round sends them in another order.
    const order = messages.map((_, i) => (i + round) % messages.length);
    const sent = await Promise.all(order.map((i) => messages[i]?.()));
    const [provision, retry, reversal, confirmation, lookup] = order.map((_, i) => sent[order.indexOf(i)]);
    const statuses = [provision, retry, reversal, confirmation].map((answer) => answer?.status);

    for (const status of statuses) expect([201, 202, 400, 404, 504]).toContain(status);
    expect([200, 404]).toContain(lookup?.status);
    expect(reversal?.status === 202 && confirmation?.status === 202, `statuses ${statuses}`).toBe(false);

    const workflowId = workflowIdFor(demoChannel.clientId, id);
    const handle = sw.client.workflow.getHandle(workflowId);
    const settled = await eventually(async () => {
      const state = await handle.query(transactionSnapshot);
      return state.phase === 'IN_FLIGHT' || state.phase === 'APPROVED' ? undefined : state;
    });
    if (confirmation?.status === 202) expect(settled.phase).toBe('CONFIRMED');
    if (reversal?.status === 202) expect(settled.phase).toBe('REVERSED');

    const provisioned = (await sw.simulator.ledger({ channelMessageId: id })).filter(
      (entry) => entry.operation === 'provision' && entry.outcome === 'ok',
    );
    expect(provisioned.length).toBeLessThanOrEqual(1);
    if (provision?.body.errorType === 'VOUCHER_ALREADY_REVERSED') expect(provisioned).toHaveLength(0);

    await handle.result();
    const { events } = await handle.fetchHistory();
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: await workflowBundle(),
          dataConverter: switchDataConverter(createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys))),
        },
        { events },
        workflowId,
      ),
    ).resolves.toBeUndefined();
  });
});
