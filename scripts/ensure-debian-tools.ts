/**
 * `npm run setup:tools` (also run before `npm test`): the tests drive Debian's Chromium (the
 * operator console), promtool (the alert rules), amtool (Alertmanager's configuration), a real
 * Prometheus and Alertmanager, and kubectl (renders the Kustomize manifests). Installs what is missing with apt when this user may (root, or sudo without a
 * password); otherwise says what to install. Never fails the caller: a test whose tool is missing
 * says so itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { debianTools } from '../test/helpers/debian-tools';

function apt(...args: string[]): boolean {
  const root = process.getuid?.() === 0;
  const [command, prefix] = root ? ['apt-get', []] : ['sudo', ['-n', 'apt-get']];
  const run = spawnSync(command, [...prefix, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return run.status === 0;
}

const missing = debianTools.filter((tool) => !existsSync(tool.path));
const packages = [...new Set(missing.map((tool) => tool.debianPackage))];
const installed =
  packages.length === 0 ||
  (process.platform === 'linux' &&
    (apt('install', '-y', '--no-install-recommends', ...packages) ||
      (apt('update') && apt('install', '-y', '--no-install-recommends', ...packages))));
for (const tool of debianTools) {
  if (existsSync(tool.path)) console.log(`${tool.name}: ${tool.path}`);
  else
    console.warn(
      `${tool.name}: not found at ${tool.path}${installed ? '' : ' (apt could not install it)'}. Install it (Debian: apt-get install ${tool.debianPackage}) or set ${tool.variable}.`,
    );
}
