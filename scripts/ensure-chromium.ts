/**
 * `npm run setup:browser` (also run before `npm test`): the operator console's browser test drives
 * Debian's Chromium. Installs it with apt when it is missing and this user may (root, or sudo
 * without a password); otherwise says what to install. Never fails the caller: without a browser,
 * only that test is skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function apt(...args: string[]): boolean {
  const root = process.getuid?.() === 0;
  const [command, prefix] = root ? ['apt-get', []] : ['sudo', ['-n', 'apt-get']];
  const run = spawnSync(command, [...prefix, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return run.status === 0;
}

if (existsSync(chromiumPath)) {
  console.log(`chromium: ${chromiumPath}`);
} else if (
  process.platform === 'linux' &&
  (apt('install', '-y', 'chromium') || (apt('update') && apt('install', '-y', 'chromium')))
) {
  console.log(`chromium: installed (${chromiumPath})`);
} else {
  console.warn(
    `chromium: not found at ${chromiumPath}. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH; the browser test is skipped until then.`,
  );
}
