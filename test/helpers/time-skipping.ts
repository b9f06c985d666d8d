import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { createActivities } from '../../src/activities';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import { type ProviderId, providerProfiles } from '../../src/domain/providers';
import { type ProvisionInput, workflowIdFor } from '../../src/domain/provision';
import { listen, type RunningServer } from '../../src/http-server';
import { createProviderRegistry } from '../../src/providers/registry';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { ensure, temporalTestServer } from '../../src/temporal/binaries';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';
import { createSealer } from '../../src/temporal/sealed';
import { voucherKeyer } from '../../src/voucher-key';
import { searchAttributeDefinitions } from '../../src/workflows/search-attributes';

const { temporal } = proto;

import { makeProvisionRequest } from './fixtures';

/*
 * Workflow tests on the time-skipping test server, with real activities: the provider simulator
 * over HTTP and an in-memory PGlite reporting store, shared by a test file.
 */

export const testVoucherHashKey = 'test-voucher-hash-key';
/** The switch's own payload encryption, as every client and worker of a test must share it. */
const codec = createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys));
const dataConverter = switchDataConverter(codec);
export const fifteenMinutes = 15 * 60_000;

export interface TimeSkipping {
  /** The current test's server. */
  env: TestWorkflowEnvironment;
  /**
   * For workflow results: unlike `env.client`, it does not unlock time skipping while it waits.
   * Once a transaction finishes, the only timer left may be its voucher's expiry a year ahead,
   * and the test server would skip to it before `env.client` locks time again.
   */
  client: Client;
  sim: ReturnType<typeof createSimulatorApp>;
  reporting: ReportingStore;
  /** Runs `body` with its own time-skipping server (its clock is global) and a worker on a fresh task queue. */
  withWorker(body: (taskQueue: string) => Promise<void>): Promise<void>;
  /**
   * Another worker on the current server, for a test that stops and starts its own. It keeps no
   * workflow in its cache, so a stopped one leaves no sticky task queue behind.
   */
  createWorker(taskQueue: string, options?: { cache: false }): Promise<Worker>;
}

/** The test server has no flag for them: the workflows' search attributes are added through its operator service. */
async function registerSearchAttributes(env: TestWorkflowEnvironment) {
  const indexed = { KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace,
    searchAttributes: Object.fromEntries(
      searchAttributeDefinitions.map(({ name, type }) => [name, indexed[type as keyof typeof indexed]]),
    ),
  });
}

/** Registers the file's set-up and tear-down; the returned object's fields are valid inside tests. */
export function useTimeSkipping(): TimeSkipping {
  let bundle: WorkflowBundle;
  let simulator: RunningServer;
  const harness = {
    async withWorker(body: (taskQueue: string) => Promise<void>) {
      harness.env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: ensure(temporalTestServer) } },
        client: { dataConverter },
      });
      await registerSearchAttributes(harness.env);
      harness.client = new Client({
        connection: harness.env.connection,
        namespace: harness.env.namespace,
        dataConverter,
      });
      const worker = await harness.createWorker(`wf-${randomUUID()}`);
      try {
        await worker.runUntil(() => body(worker.options.taskQueue));
      } finally {
        await harness.env.teardown();
      }
    },
    createWorker(taskQueue: string, options?: { cache: false }) {
      return Worker.create({
        ...(options?.cache === false ? { maxCachedWorkflows: 0 } : {}),
        connection: harness.env.nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        dataConverter,
        activities: createActivities({
          providers: createProviderRegistry({ baseUrl: simulator.url }),
          db: harness.reporting.db,
          sealer: createSealer(codec),
          voucherKey: voucherKeyer(testVoucherHashKey),
          settlement: { cutoff: '00:00', timeZone: 'Africa/Johannesburg' },
        }),
      });
    },
  } as TimeSkipping;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    bundle = { code: inject('workflowBundleCode') };
    harness.sim = createSimulatorApp();
    simulator = await listen(harness.sim.app, 0);
    harness.reporting = await openReportingStore({ pgliteDir: 'memory://' });
  });
  afterAll(async () => {
    await simulator?.close();
    await harness.reporting?.close();
  });
  beforeEach(() => harness.sim.behaviours.clear());
  return harness;
}

/** A provision for the demo channel, as the API would fix it. */
export function provisionInput(messaging: 'single' | 'dual', provider: ProviderId = 'flash'): ProvisionInput {
  const request = makeProvisionRequest() as unknown as ProvisionInput['request'];
  return {
    transactionId: workflowIdFor('22222222', request.id),
    switchReference: randomUUID(),
    channelId: '22222222',
    messaging,
    provider,
    deadlineMs: 5_000,
    settleAfterMs: messaging === 'single' ? 60_000 : fifteenMinutes,
    switchInstitution: { id: '33333333', name: 'Voucher Switch' },
    providerInstitution: providerProfiles[provider].institution,
    request,
    receivedAt: new Date().toISOString(),
  };
}
