import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { amtool, type DebianTool, promtool } from '../helpers/debian-tools';

/*
 * deploy/monitoring as the real tools read it: Prometheus's configuration and alert rules with
 * promtool (each rule shown firing and quiet), Alertmanager's with amtool, Grafana's provisioning
 * and dashboards as Grafana would load them.
 */

const monitoring = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const read = (path: string) => readFileSync(join(monitoring, path), 'utf8');

function run(tool: DebianTool, ...args: string[]): string {
  if (!existsSync(tool.path))
    throw new Error(`${tool.name} is missing at ${tool.path}: npm run setup:tools installs it (${tool.debianPackage})`);
  return execFileSync(tool.path, args, { cwd: monitoring, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}
const rules = (parse(read('prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);

describe('Prometheus alert rules', () => {
  it('pass promtool check config (with the rules it loads)', () => {
    expect(run(promtool, 'check', 'config', 'prometheus/prometheus.yml')).toContain(
      `SUCCESS: ${rules.length} rules found`,
    );
  });

  it('pass their promtool unit tests: each fires on a series that breaks it and stays quiet otherwise', () => {
    expect(run(promtool, 'test', 'rules', 'prometheus/alerts.test.yml')).toContain('SUCCESS');
  });

  it('each have a unit test that expects it to fire, and one that expects it quiet', () => {
    type Expectation = { alertname: string; exp_alerts?: unknown[] };
    const tests = (
      parse(read('prometheus/alerts.test.yml')) as { tests: { alert_rule_test: Expectation[] }[] }
    ).tests.flatMap((test) => test.alert_rule_test);
    for (const { alert } of rules) {
      const mine = tests.filter((test) => test.alertname === alert);
      expect(
        mine.some((test) => (test.exp_alerts ?? []).length > 0),
        `${alert} fires`,
      ).toBe(true);
      expect(
        mine.some((test) => (test.exp_alerts ?? []).length === 0),
        `${alert} stays quiet`,
      ).toBe(true);
    }
  });

  it('cover what operators must hear about, each with a severity and a summary', () => {
    const watched = (metric: string) => rules.some((rule) => rule.expr.includes(metric));
    for (const metric of [
      'switch_provider_timeouts_total',
      'switch_provider_failures_total',
      'switch_saf_oldest_pending_seconds',
      'switch_channel_requests_total{status=~"5.."}',
      'switch_channel_requests_total{status="504"}',
      'switch_transactions_refused_at_capacity_total',
      'switch_dependency_up{dependency="reporting_store"}',
      'switch_reporting_write_failures_total',
      'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
      'up{job="switch-api"}',
      'up{job="switch-worker"}',
    ])
      expect(watched(metric), metric).toBe(true);
    for (const rule of rules) {
      expect(['page', 'ticket']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
    }
  });
});

describe('Alertmanager', () => {
  it('passes amtool check-config, and sends every alert by e-mail, resolved ones too', () => {
    expect(run(amtool, 'check-config', 'alertmanager/alertmanager.yml')).toContain('SUCCESS');
    const config = parse(read('alertmanager/alertmanager.yml')) as {
      receivers: { name: string; email_configs?: { to: string; send_resolved?: boolean }[] }[];
      global: Record<string, unknown>;
    };
    for (const receiver of config.receivers) {
      expect(receiver.email_configs?.length, receiver.name).toBeGreaterThan(0);
      for (const email of receiver.email_configs ?? []) expect(email.send_resolved).toBe(true);
    }
    expect(config.global.smtp_auth_password).toBeUndefined();
    expect(config.global.smtp_auth_password_file).toBeTruthy();
  });
});

describe('Grafana dashboards', () => {
  const provisioned = parse(read('grafana/provisioning/datasources/datasources.yml')) as {
    datasources: { uid: string }[];
  };
  const uids = provisioned.datasources.map((source) => source.uid);
  const dashboards = readdirSync(join(monitoring, 'grafana/dashboards')).filter((file) => file.endsWith('.json'));

  it.each(dashboards)('%s parses, with a unique uid, and every panel queries a provisioned data source', (file) => {
    const dashboard = JSON.parse(read(`grafana/dashboards/${file}`)) as {
      uid: string;
      panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) {
      expect(uids, panel.title).toContain(panel.datasource.uid);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('show what the issue asks for: traffic, latency per leg, providers, SAF, open transactions, the SDK', () => {
    const exprs = dashboards.flatMap((file) =>
      (JSON.parse(read(`grafana/dashboards/${file}`)) as { panels: { targets: { expr: string }[] }[] }).panels.flatMap(
        (panel) => panel.targets.map((target) => target.expr),
      ),
    );
    for (const metric of [
      'switch_channel_requests_total',
      'switch_channel_request_duration_seconds_bucket',
      'switch_provider_request_duration_seconds_bucket',
      'switch_provider_timeouts_total',
      'switch_provider_failures_total',
      'switch_saf_backlog',
      'switch_saf_oldest_pending_seconds',
      'switch_open_transactions',
      'switch_transactions_in_flight',
      'switch_transactions_refused_at_capacity_total',
      'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
      'temporal_worker_task_slots_available',
      'temporal_sticky_cache_size',
    ])
      expect(
        exprs.some((expr) => expr.includes(metric)),
        metric,
      ).toBe(true);
  });
});
