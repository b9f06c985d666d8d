import { describe, expect, it } from 'vitest';
import { createLogger, installTemporalLogging, temporalLogger } from '../../src/log';
import { eventually } from '../helpers/eventually';

/** A logger whose JSON lines are kept for the test to read. */
function capturedLogger(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, 'test', { write: (line: string) => lines.push(line) });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('never writes voucher codes, passwords, authorization headers, tokens or secret hashes in clear', () => {
    const { logger, lines, entries } = capturedLogger();
    const secrets = {
      voucher: { code: 'VC-1111', serialNumber: 'SN-1' },
      voucherCode: 'VC-2222',
      request: { voucherCode: 'VC-3333', password: 'pw-1111' },
      trace: { request: { voucherCode: 'VC-4444' }, response: { voucher: { code: 'VC-5555' } } },
      headers: { authorization: 'Basic cHctMjIyMg==', Authorization: 'Bearer tok-1111' },
      oauth: { access_token: 'tok-2222', client_secret: 'cs-1111', token: 'tok-3333' },
      channel: { clientId: '22222222', secretHash: 'scrypt.16384.8.1.salt.hash-1111' },
      list: [{ password: 'pw-3333' }],
      err: Object.assign(new Error('refused'), { request: { headers: { authorization: 'Bearer tok-4444' } } }),
      config: { tls: { key: '-----BEGIN PRIVATE KEY-----pk-1111' }, payloadCodec: { keys: { k1: 'ck-1111' } } },
    };
    logger.info(secrets, 'a careless line');
    logger.warn({ detail: { deeper: secrets } }, 'the same, deeper');
    logger.error(
      { err: new Error('upstream said 401 to Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig') },
      'Basic MjIyMjIyMjI6cGFzc3dvcmQ= refused',
    );

    const output = lines.join('');
    const inClear = ['VC-', 'pw-', 'cHct', 'tok-', 'cs-', 'hash-1111', 'pk-1111', 'ck-1111', 'eyJ', 'MjIy'];
    for (const secret of inClear) expect(output).not.toContain(secret);
    const [first] = entries();
    expect(first).toMatchObject({
      voucher: { code: '[redacted]', serialNumber: 'SN-1' },
      channel: { clientId: '22222222' },
    });
    expect(first?.err).toMatchObject({ message: 'refused' });
    expect(entries()[2]).toMatchObject({ msg: 'Basic [redacted] refused' });
  });

  it("never writes the parameters a database error quotes after its query: a customer's data is among them", () => {
    const { logger, lines, entries } = capturedLogger();
    const failed = new Error(
      'Failed query: insert into "transactions" ("id") values ($1)\nparams: Thandi Nkosi,+27821234567',
    );
    logger.error({ err: failed }, 'write failed');
    logger.error({ error: failed }, 'as the SDK logs it');
    expect(lines.join('')).not.toMatch(/Thandi|27821234567/);
    expect(entries()[0]?.err).toMatchObject({ message: expect.stringContaining('insert into "transactions"') });
  });

  it("writes an error given as text, as Temporal's core forwards its own, as that text", () => {
    const { logger, entries } = capturedLogger();
    logger.warn({ error: 'Workflow task failed\nparams: Thandi Nkosi' }, 'from core');
    expect(entries()[0]?.error).toBe('Workflow task failed\nparams: [redacted]');
  });
});

describe('temporalLogger', () => {
  it("writes the SDK's log calls as JSON with their workflow context", () => {
    const { logger, entries } = capturedLogger();
    const temporal = temporalLogger(logger);
    temporal.info('Workflow completed', {
      sdkComponent: 'workflow',
      workflowId: 'provision-22222222-abc',
      runId: 'run-1',
      workflowType: 'provisionVoucher',
      [Symbol.for('log_timestamp')]: 1n,
    });
    temporal.error('Activity failed', { activityType: 'callProvider', workflowId: 'w', error: new Error('boom') });
    temporal.debug('below the level', { workflowId: 'w' });
    // The workflow bundler's webpack report is for whoever debugs the build.
    temporal.info('asset workflow-bundle-1.js 1.9 MiB [emitted]\nwebpack 5.104.1 compiled successfully in 1630 ms', {
      sdkComponent: 'worker',
    });

    expect(entries()).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'Workflow completed',
        component: 'test',
        workflowId: 'provision-22222222-abc',
        runId: 'run-1',
        workflowType: 'provisionVoucher',
      }),
      expect.objectContaining({
        level: 50,
        activityType: 'callProvider',
        error: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it('receives the logs of the installed Temporal runtime', async () => {
    const { logger, entries } = capturedLogger();
    await installTemporalLogging(logger);
    const { Runtime } = await import('@temporalio/worker');
    Runtime.instance().logger.warn('Activity heartbeat lost', { workflowId: 'redemption-22222222-xyz' });
    const forwarded = await eventually(async () =>
      entries().find((entry) => entry.workflowId === 'redemption-22222222-xyz'),
    );
    expect(forwarded).toMatchObject({ level: 40, msg: 'Activity heartbeat lost', component: 'test' });
  });
});
