import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { hashSecret } from '../../src/api/credentials';
import { loadConfig } from '../../src/config';
import { ensure, kubernetesValidate } from '../../src/temporal/binaries';
import { searchAttributeDefinitions } from '../../src/workflows/search-attributes';
import { kubectl } from '../helpers/debian-tools';

/*
 * deploy/kubernetes as a cluster would get it: the production overlay rendered by kubectl's
 * Kustomize (with a secrets.env of the test's own), validated offline against Kubernetes' own
 * schemas (kubernetes-validate, strict), then read for what the switch needs of it.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const kubernetesVersion = '1.30';
const dir = mkdtempSync(join(tmpdir(), 'switch-kubernetes-'));

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the rendered manifests are read as Kubernetes writes them
  spec?: any;
  data?: Record<string, string>;
}
let rendered: string;
let manifests: Manifest[];
const find = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.startsWith(name));
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
};

const secrets = {
  SWITCH_CHANNELS: `bank:${hashSecret('a channel secret')}:dual`,
  OPERATORS: `ops:${hashSecret('an operator secret')}`,
  PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  VOUCHER_HASH_KEY: randomBytes(16).toString('hex'),
  DATABASE_URL: 'postgres://switch:secret@reporting.example.com:5432/switch?sslmode=require',
};

beforeAll(() => {
  if (!existsSync(kubectl.path))
    throw new Error(
      `kubectl is missing at ${kubectl.path}: npm run setup:tools installs it (${kubectl.debianPackage})`,
    );
  cpSync(join(root, 'deploy/kubernetes'), join(dir, 'kubernetes'), { recursive: true });
  writeFileSync(
    join(dir, 'kubernetes/overlays/production/secrets.env'),
    Object.entries(secrets)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  );
  rendered = execFileSync(kubectl.path, ['kustomize', join(dir, 'kubernetes/overlays/production')], {
    encoding: 'utf8',
  });
  writeFileSync(join(dir, 'rendered.yaml'), rendered);
  manifests = parseAllDocuments(rendered).map((document) => document.toJSON() as Manifest);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validate(file: string) {
  return spawnSync(ensure(kubernetesValidate), ['--strict', '-k', kubernetesVersion, file], { encoding: 'utf8' });
}

describe('deploy/kubernetes, the production overlay', () => {
  it(`renders, and every manifest passes Kubernetes ${kubernetesVersion}'s schemas, strictly`, () => {
    const result = validate(join(dir, 'rendered.yaml'));
    expect(result.stdout + result.stderr).not.toMatch(/fail|error/i);
    expect(result.status).toBe(0);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'Ingress',
      'Job',
      'Namespace',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
  });

  it('is checked by a validator that refuses a misspelt field', () => {
    const broken = rendered.replace('readinessProbe:', 'readynessProbe:');
    writeFileSync(join(dir, 'broken.yaml'), broken);
    expect(validate(join(dir, 'broken.yaml')).status).not.toBe(0);
  });

  it.each([
    ['voucher-switch-api', 'http', 'src/server.ts'],
    ['voucher-switch-worker', 'metrics', 'src/worker.ts'],
  ])(
    'runs %s with its probes, its resources, a disruption budget, and an entry point that exists',
    (name, port, entry) => {
      const container = find('Deployment', name).spec.template.spec.containers[0];
      expect(container.command.at(-1)).toBe(entry);
      expect(existsSync(join(root, entry))).toBe(true);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/live', port });
      expect(container.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(container.resources.limits.memory).toBeTruthy();
      expect(container.image).toMatch(/^registry\.example\.com\/.+:.+/);
      expect(find('PodDisruptionBudget', name).spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    },
  );

  it('scales the worker on CPU', () => {
    const autoscaler = find('HorizontalPodAutoscaler', 'voucher-switch-worker').spec;
    expect(autoscaler.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'voucher-switch-worker' });
    expect(autoscaler.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler.metrics[0].resource.name).toBe('cpu');
  });

  it('serves the API over TLS only, with operators’ paths on a door of their own limited to their network', () => {
    const channels = find('Ingress', 'voucher-switch-channels');
    const operators = find('Ingress', 'voucher-switch-operators');
    const paths = (ingress: Manifest) =>
      ingress.spec.rules.flatMap((rule: { http: { paths: { path: string }[] } }) => rule.http.paths.map((p) => p.path));
    for (const ingress of [channels, operators]) expect(ingress.spec.tls[0].secretName).toBeTruthy();
    expect(paths(channels)).toEqual(['/suv', '/oauth']);
    expect(paths(operators)).toEqual(expect.arrayContaining(['/ops', '/console']));
    expect(operators.metadata.annotations?.['nginx.ingress.kubernetes.io/whitelist-source-range']).toMatch(/\/\d+$/);
  });

  it('denies all traffic but what a policy allows; only the API and the worker reach the providers', () => {
    expect(find('NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const providerEgress = find('NetworkPolicy', 'voucher-switch-provider-egress').spec;
    const [[label, value]] = Object.entries(providerEgress.podSelector.matchLabels) as [[string, string]];
    const reachesProviders = manifests
      .filter((m) => m.spec?.template?.metadata?.labels?.[label] === value)
      .map((m) => m.metadata.name);
    expect(reachesProviders.sort()).toEqual(['voucher-switch-api', 'voucher-switch-worker']);
    // The API takes traffic from the Ingress controller (and Prometheus) only.
    const apiIngress = find('NetworkPolicy', 'voucher-switch-api-ingress').spec;
    expect(
      apiIngress.ingress[0].from.map(
        (f: { namespaceSelector: { matchLabels: object } }) => f.namespaceSelector.matchLabels,
      ),
    ).toEqual([{ 'kubernetes.io/metadata.name': 'ingress-nginx' }, { 'kubernetes.io/metadata.name': 'monitoring' }]);
  });

  it("divides a channel's rate limit among the API replicas, since each instance counts on its own", () => {
    const config = find('ConfigMap', 'voucher-switch-config').data ?? {};
    const replicas = find('Deployment', 'voucher-switch-api').spec.replicas;
    const perInstance = Number(config.RATE_LIMIT_PER_SECOND);
    expect(replicas).toBeGreaterThan(1);
    // Together about the one-instance default (200 a second), never several times it.
    expect(Math.abs(perInstance * replicas - 200)).toBeLessThanOrEqual(replicas);
    expect(Number(config.RATE_LIMIT_BURST)).toBe(2 * perInstance);
  });

  it('registers every search attribute the workflows set, with a Job', () => {
    const script = JSON.stringify(find('Job', 'voucher-switch-search-attributes').spec.template.spec.containers[0]);
    for (const { name } of searchAttributeDefinitions) expect(script).toContain(name);
  });

  it('configures the switch so that production accepts it: settings in the ConfigMap, secrets only in the Secret', () => {
    const config = find('ConfigMap', 'voucher-switch-config').data ?? {};
    const secret = Object.fromEntries(
      Object.entries(find('Secret', 'voucher-switch-secrets').data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
    expect(secret).toEqual(secrets);
    for (const key of Object.keys(secrets)) expect(config).not.toHaveProperty(key);
    // The image runs with NODE_ENV=production, which refuses every unsafe setting.
    expect(() => loadConfig({ ...config, ...secret, NODE_ENV: 'production' }, { servesApi: true })).not.toThrow();
  });
});
