import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensure, schemathesis } from '../../src/temporal/binaries';
import { basicAuth } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Schemathesis generates requests from /openapi.json, valid ones and broken ones, and sends them
 * to the running switch with channel and operator credentials. Nothing may answer 5xx, and every
 * answer must be one the document lists, shaped as it says; a channel message valid by the
 * document must never be refused for its format (test/fuzz/schemathesis_hooks.py).
 */

const hooks = fileURLToPath(new URL('../fuzz/', import.meta.url));
const checks = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'valid_message_is_not_refused_for_its_format',
];

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch({ PROVIDER_DEADLINE_MS: '1000', CHANNEL_RESPONSE_TIMEOUT_MS: '5000' });
});
afterAll(() => sw?.stop());

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ensure(schemathesis), args, { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('/openapi.json, fuzzed', () => {
  it('gets no 5xx and no answer the document does not describe, from 2,000 generated requests or more', async () => {
    const { code, output } = await run(
      [
        'run',
        `${sw.url}/openapi.json`,
        '--checks',
        checks.join(','),
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        '60',
        '--request-timeout',
        '15',
        '--no-color',
        // One thread: with several, Hypothesis's ast.parse of its own lambdas races in CPython 3.11
        // (SystemError: AST constructor recursion depth mismatch), and one is about as fast here.
        '--workers',
        '1',
        '--seed',
        '1',
      ],
      {
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
        PYTHONPATH: hooks,
        FUZZ_CHANNEL_AUTH: basicAuth('22222222', 'password'),
        FUZZ_OPERATOR_AUTH: basicAuth('operator', 'operator'),
        FUZZ_CLIENT_ID: '22222222',
        FUZZ_ROUTED_RECEIVER: '44444444',
      },
    );
    const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
    expect({ code, failures: code === 0 ? '' : output.slice(-6_000) }).toEqual({ code: 0, failures: '' });
    expect(generated).toBeGreaterThanOrEqual(2_000);
  }, 900_000);
});
