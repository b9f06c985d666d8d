import { afterAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { demoChannel, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * The Web UI's Stack Trace tab asks a running workflow for `__stack_trace`. Answering it costs a
 * stack trace of every promise the workflow makes (about a fifth of a worker's CPU), so a worker
 * keeps them only under WORKFLOW_STACK_TRACES=true, and otherwise says they are off.
 */

const switches: TestSwitch[] = [];
afterAll(() => Promise.all(switches.map((sw) => sw.stop())));

/** A provision that waits for its confirmation, on a switch with `env`: its workflow's handle. */
async function waitingProvision(env: Record<string, string>) {
  const sw = await startTestSwitch(env);
  switches.push(sw);
  const request = makeProvisionRequest();
  expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
  return sw.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, request.id as string));
}

describe("a running transaction's stack trace (the Web UI's Stack Trace tab)", () => {
  it('is off by default: the query is refused, and the transaction is not disturbed', async () => {
    const handle = await waitingProvision({});
    // The worker refuses it (its reason travels encrypted with the failure, as every failure's does).
    await expect(handle.query('__stack_trace')).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('shows where the transaction waits under WORKFLOW_STACK_TRACES=true', async () => {
    const handle = await waitingProvision({ WORKFLOW_STACK_TRACES: 'true' });
    expect(await handle.query<string>('__stack_trace')).toMatch(/awaitSettlement/);
  });
});
