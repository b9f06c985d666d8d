import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openReportingStore } from '../../src/db/client';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { basicAuth, demoChannel, makeProvisionRequest } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';

const dataDir = mkdtempSync(join(tmpdir(), 'switch-dev-'));
let dev: ChildProcess | undefined;

afterAll(() => {
  // The dev command runs in its own process group, like a terminal's foreground job.
  if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves with everything printed once `marker` appears on standard output. */
function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "${marker}" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

describe('npm run dev', () => {
  it('starts the whole switch, provisions a voucher end to end, and stops cleanly on Ctrl-C', async () => {
    const [api, simulator, temporal, ui, sdkMetrics] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const pgliteDir = join(dataDir, 'pglite');
    dev = spawn(process.execPath, ['--import', 'tsx', 'src/dev.ts'], {
      detached: true,
      env: {
        ...process.env,
        PORT: String(api),
        PROVIDER_SIM_PORT: String(simulator),
        PROVIDER_SIM_URL: `http://127.0.0.1:${simulator}`,
        TEMPORAL_DEV_PORT: String(temporal),
        TEMPORAL_UI_PORT: String(ui),
        TEMPORAL_DB_FILE: join(dataDir, 'temporal.db'),
        PGLITE_DIR: pgliteDir,
        TEMPORAL_SDK_METRICS_PORT: String(sdkMetrics),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const banner = await waitForOutput(dev, 'Ctrl-C stops everything', 90_000);
    expect(banner).toContain(`http://127.0.0.1:${api}/suv/v1`);
    expect(banner).toContain(`http://127.0.0.1:${ui}`);
    // Logs for a person: one event a line with its time, level and component; no JSON, no build report.
    expect(banner).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \(worker\) Workflow bundle created/m);
    expect(banner).not.toMatch(/^\{/m);
    expect(banner).not.toContain('webpack');
    for (const probe of ['live', 'ready']) expect((await fetch(`http://127.0.0.1:${api}/${probe}`)).status).toBe(200);

    const request = makeProvisionRequest();
    const response = await fetch(`http://127.0.0.1:${api}/suv/v1/vouchers`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicAuth(demoChannel.clientId, demoChannel.password),
      },
      body: JSON.stringify(request),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { voucher: { code: string } }).voucher.code).toMatch(/^\d+$/);
    // One process: the API started the transaction eagerly on its worker (API_WORKER's default here).
    expect(await (await fetch(`http://127.0.0.1:${api}/metrics`)).text()).toContain(
      'switch_transaction_starts_total{type="provision",eager="true"} 1',
    );
    // The Temporal SDK's view inside the worker, on its own port: the provider call ran there.
    expect(await (await fetch(`http://127.0.0.1:${sdkMetrics}/metrics`)).text()).toMatch(
      /temporal_local_activity_execution_latency_seconds_count\{activity_type="provisionAndRecord"[^}]*\} 1/,
    );

    // The operator finds the transaction in the Temporal Web UI (through the UI server's own API).
    const workflowId = workflowIdFor(demoChannel.clientId, request.id as string);
    let listed: unknown[] = [];
    for (let i = 0; i < 40 && listed.length === 0; i++) {
      const query = encodeURIComponent(`WorkflowId="${workflowId}"`);
      const page = await fetch(`http://127.0.0.1:${ui}/api/v1/namespaces/default/workflows?query=${query}`);
      listed = ((await page.json()) as { executions?: unknown[] }).executions ?? [];
      if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(listed).toHaveLength(1);

    // Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
    const exited = new Promise<number | null>((resolve) => dev?.once('exit', resolve));
    process.kill(-(dev.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${api}/health`)).rejects.toThrow();

    // …and in the reporting store, which the dev command kept on disk.
    const store = await openReportingStore({ pgliteDir });
    try {
      expect(await findTransaction(store.db, workflowId)).toMatchObject({ state: 'APPROVED', httpStatus: 201 });
    } finally {
      await store.close();
    }
  }, 150_000);
});
