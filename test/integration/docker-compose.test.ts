import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerCompose, ensure } from '../../src/temporal/binaries';

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
    const json = execFileSync(command, [...prefix, 'config', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    const { services } = JSON.parse(json) as { services: Record<string, { environment?: Record<string, string> }> };

    expect(Object.keys(services).sort()).toEqual([
      'api',
      'postgresql',
      'simulator',
      'temporal',
      'temporal-ui',
      'worker',
    ]);
    expect(services.temporal?.environment?.DB).toBe('postgres12');
    for (const name of ['api', 'worker']) {
      expect(services[name]?.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        PROVIDER_SIM_URL: 'http://simulator:8090',
        DATABASE_URL: expect.stringContaining('@postgresql:5432/'),
      });
    }
  });
});
