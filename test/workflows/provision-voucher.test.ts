import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import { findTransaction } from '../../src/db/queries/transactions';
import { providerProfiles } from '../../src/domain/providers';
import { type ProvisionInput, workflowIdFor } from '../../src/domain/provision';
import { listen, type RunningServer } from '../../src/http-server';
import { createProviderRegistry } from '../../src/providers/registry';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { workflowsPath } from '../../src/runtime';
import { ensure, temporalTestServer } from '../../src/temporal/binaries';
import { provisionSnapshot, submitProvision } from '../../src/workflows/messages';
import type { provisionVoucher } from '../../src/workflows/provision-voucher';
import { makeProvisionRequest } from '../helpers/fixtures';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let simulator: RunningServer;
let reporting: ReportingStore;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensure(temporalTestServer) } },
  });
  bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  simulator = await listen(createSimulatorApp().app, 0);
  reporting = await openReportingStore({ pgliteDir: 'memory://' });
});
afterAll(async () => {
  await env?.teardown();
  await simulator?.close();
  await reporting?.close();
});

function provisionInput(): ProvisionInput {
  const request = makeProvisionRequest() as unknown as ProvisionInput['request'];
  return {
    transactionId: workflowIdFor('22222222', request.id),
    switchReference: randomUUID(),
    channelId: '22222222',
    messaging: 'dual',
    provider: 'flash',
    deadlineMs: 5_000,
    switchInstitution: { id: '33333333', name: 'Voucher Switch' },
    providerInstitution: providerProfiles.flash.institution,
    request,
    receivedAt: new Date().toISOString(),
  };
}

describe('provision workflow (time-skipping server)', () => {
  it('answers the channel while the reporting store is down, and records the transaction once it is back', async () => {
    const taskQueue = `wf-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createActivities({
        providers: createProviderRegistry({ baseUrl: simulator.url }),
        db: reporting.db,
      }),
    });
    const input = provisionInput();

    await worker.runUntil(async () => {
      await reporting.db.execute(sql`alter table transactions rename to transactions_offline`);
      const answer = await env.client.workflow.executeUpdateWithStart(submitProvision, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof provisionVoucher>('provisionVoucher', {
          workflowId: input.transactionId,
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      expect(answer.status).toBe(201);

      // Hours of simulated outage: the write is retried, the workflow waits, nothing is lost.
      await env.sleep('3 hours');
      const handle = env.client.workflow.getHandle(input.transactionId);
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      expect(pending[0]?.activityType?.name).toBe('recordProvision');
      expect(pending[0]?.attempt).toBeGreaterThan(100);
      expect((await handle.query(provisionSnapshot)).state).toBe('PROVISIONED');
      expect(await findTransaction(reporting.db, input.transactionId).catch(() => 'offline')).toBe('offline');

      await reporting.db.execute(sql`alter table transactions_offline rename to transactions`);
      expect(await handle.result()).toEqual(answer);
    });

    expect(await findTransaction(reporting.db, input.transactionId)).toMatchObject({ state: 'PROVISIONED' });
  });
});
