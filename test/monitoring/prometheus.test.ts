import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Stack, startStack } from '../../scripts/faults/stack';
import { alertmanager, type DebianTool, prometheus } from '../helpers/debian-tools';
import { eventually } from '../helpers/eventually';
import { basicAuth, demoChannel, type Json, makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { startSmtpSink } from '../helpers/smtp-sink';

/*
 * Debian's Prometheus and Alertmanager against the switch as production runs it (the fault
 * suite's stack: API and worker processes, Temporal, PostgreSQL), with deploy/monitoring's
 * rules and Alertmanager configuration. Two settings are the test's own, to fit in a minute:
 * scrapes and evaluations every second, and the stale-backlog alert after 3 s rather than 10
 * minutes (its real threshold is proven by promtool's unit tests). Mail goes to an SMTP sink.
 */

const databaseUrl = process.env.TEST_DATABASE_URL;
const monitoring = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switch-prometheus-'));
const children: ChildProcess[] = [];
let stack: Stack;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let prometheusUrl: string;

function start(tool: DebianTool, args: string[]): ChildProcess {
  if (!existsSync(tool.path))
    throw new Error(`${tool.name} is missing at ${tool.path}: npm run setup:tools installs it (${tool.debianPackage})`);
  const child = spawn(tool.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr?.on('data', (chunk) => log.push(String(chunk)));
  child.once('exit', (code) => code && console.error(`${tool.name} exited ${code}:\n${log.join('')}`));
  children.push(child);
  return child;
}

const readYaml = (path: string) => parse(readFileSync(join(monitoring, path), 'utf8'));

/** The repository's rules, with the stale-backlog alert brought within the test's reach. */
function rulesForTheTest(): string {
  const rules = readYaml('prometheus/alerts.yml') as {
    groups: { rules: { alert: string; expr: string; for?: string }[] }[];
  };
  const stale = rules.groups.flatMap((group) => group.rules).find((rule) => rule.alert === 'SwitchSafBacklogStale');
  if (!stale?.expr.endsWith('> 600')) throw new Error('SwitchSafBacklogStale changed: update this test');
  stale.expr = stale.expr.replace(/> 600$/, '> 3');
  stale.for = '0s';
  return stringify(rules);
}

async function query<T>(path: string): Promise<T> {
  const response = await fetch(`${prometheusUrl}${path}`);
  return ((await response.json()) as { data: T }).data;
}

type Alert = { labels: Record<string, string>; state: string };
const firing = async (name: string) =>
  (await query<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(
    (alert) => alert.labels.alertname === name && alert.state === 'firing',
  );

async function post(path: string, body: Json) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: basicAuth(demoChannel.clientId, demoChannel.password),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

beforeAll(async () => {
  if (!databaseUrl) return;
  stack = await startStack({ databaseUrl, logDir: join(dir, 'logs'), log: () => {} });
  sink = await startSmtpSink();
  const [prometheusPort, alertmanagerPort] = await Promise.all([freePort(), freePort()]);
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

  const routing = readYaml('alertmanager/alertmanager.yml') as {
    global: Record<string, unknown>;
    route: Record<string, unknown>;
  };
  // The sink speaks plain SMTP without AUTH; groups are sent at once.
  routing.global = { ...routing.global, smtp_smarthost: `127.0.0.1:${sink.port}`, smtp_require_tls: false };
  delete routing.global.smtp_auth_username;
  delete routing.global.smtp_auth_password_file;
  routing.route = { ...routing.route, group_wait: '1s', group_interval: '1s' };
  writeFileSync(join(dir, 'alertmanager.yml'), stringify(routing));
  start(alertmanager, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'alertmanager')}`,
    `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
    '--cluster.listen-address=',
  ]);

  writeFileSync(join(dir, 'alerts.yml'), rulesForTheTest());
  const target = (url: string) => {
    const { host, pathname } = new URL(url);
    return { metrics_path: pathname === '/' ? '/metrics' : pathname, static_configs: [{ targets: [host] }] };
  };
  const worker = stack.workerUrls();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'alerts.yml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
      scrape_configs: [
        { job_name: 'switch-api', ...target(`${stack.apiUrl}/metrics`) },
        { job_name: 'switch-worker', ...target(worker.metrics) },
        { job_name: 'temporal-sdk', ...target(worker.sdkMetrics) },
      ],
    }),
  );
  start(prometheus, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'prometheus')}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
  ]);
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await sink?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!databaseUrl)("Debian's Prometheus and Alertmanager against the running switch", () => {
  it('scrapes the API, the worker and the Temporal SDK', async () => {
    type Target = { labels: { job: string }; health: string };
    const targets = await eventually(async () => {
      const { activeTargets } = await query<{ activeTargets: Target[] }>('/api/v1/targets').catch(() => ({
        activeTargets: [] as Target[],
      }));
      return activeTargets.length === 3 && activeTargets.every((t) => t.health === 'up') ? activeTargets : undefined;
    }, 60_000);
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['switch-api', 'switch-worker', 'temporal-sdk']);
  });

  it('fires the stale-backlog alert during a provider outage, mails it, and resolves it when the provider is back', async () => {
    await stack.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'down' });
    const request = makeProvisionRequest();
    expect((await post('/suv/v1/vouchers', request)).status).toBe(201);
    expect((await post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(202);

    const alerts = await eventually(async () => {
      const found = await firing('SwitchSafBacklogStale');
      return found.length > 0 ? found : undefined;
    }, 60_000);
    expect(alerts.map((alert) => alert.labels)).toEqual([
      { alertname: 'SwitchSafBacklogStale', provider: 'flash', severity: 'page' },
    ]);
    const mail = await sink.waitFor((m) => /Subject: \[FIRING:1\] SwitchSafBacklogStale/.test(m.data), 30_000);
    expect(mail.to).toEqual(['<switch-operators@example.com>']);
    // The subject names the alert and its group's labels: the provider among them.
    expect(/^Subject: (.*)$/m.exec(mail.data)?.[1]).toMatch(/SwitchSafBacklogStale .*flash/);

    await stack.simulator.reset();
    // Store-and-forward delivers at its next try; the alert then resolves, and says so by mail.
    await eventually(async () => ((await firing('SwitchSafBacklogStale')).length === 0 ? true : undefined), 90_000);
    await sink.waitFor((m) => /Subject: \[RESOLVED\] SwitchSafBacklogStale/.test(m.data), 30_000);
  }, 180_000);

  it('finds every metric the dashboards and alert rules query among those the switch and the SDK export', async () => {
    const exported = new Set(['up']);
    const worker = stack.workerUrls();
    for (const url of [`${stack.apiUrl}/metrics`, worker.metrics, worker.sdkMetrics]) {
      const text = await (await fetch(url)).text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name as string);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
      }
    }
    const dashboards = readdirSync(join(monitoring, 'grafana/dashboards')).map((file) =>
      readFileSync(join(monitoring, 'grafana/dashboards', file), 'utf8'),
    );
    const queried = [...dashboards, readFileSync(join(monitoring, 'prometheus/alerts.yml'), 'utf8')].flatMap((text) =>
      [...text.matchAll(/\b(?:switch|temporal)_[a-z0-9_]+/g)].map(([name]) => name),
    );
    expect(queried.length).toBeGreaterThan(20);
    expect([...new Set(queried)].filter((name) => !exported.has(name))).toEqual([]);
  });
});
