import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/api/credentials';
import type { Lifecycle } from '../../src/domain/lifecycle';
import { workflowIdFor } from '../../src/domain/provision';
import { eventually } from '../helpers/eventually';
import { basicAuth, type Json, makeAdvice, makeProvisionRequest, makeRedemptionRequest } from '../helpers/fixtures';
import { reportingStores } from '../helpers/postgres';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * The back office end to end, over HTTP against the real stack: operators' roles, settling a
 * transaction left open through the channel's own workflow update, a refused advice sent again
 * or settled by hand, a voucher blocked and unblocked, four eyes on what moves money, and the
 * audit trail of all of it. On PGlite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */

const alice = basicAuth('alice', 'alice secret');
const bob = basicAuth('bob', 'bob secret');
const viewer = basicAuth('vera', 'vera secret');

interface AuditEvent {
  operator: string;
  action: string;
  step: string;
  actionId: string;
  transactionId?: string;
  target?: string;
  reason?: string;
  outcome?: string;
}
type ActionAnswer = Json & { actionId: string; step: string; steps: AuditEvent[] };

describe.each(reportingStores('back_office'))('the back office on $store', ({ database }) => {
  let sw: TestSwitch;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    sw = await startTestSwitch({
      ...db.env,
      FOUR_EYES_APPROVAL: 'true',
      OPERATORS: [
        `alice:${hashSecret('alice secret')}:backoffice`,
        `bob:${hashSecret('bob secret')}:backoffice`,
        `vera:${hashSecret('vera secret')}:viewer`,
      ].join(','),
    });
  });
  afterAll(async () => {
    await sw?.stop();
    await drop?.();
  });

  async function ops(path: string, auth: string, body?: Json) {
    const response = await fetch(`${sw.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }
  const act = (transactionId: string, auth: string, body: Json) =>
    ops(`/ops/transactions/${encodeURIComponent(transactionId)}/actions`, auth, body);
  const decide = (actionId: string, decision: 'approval' | 'rejection', auth: string) =>
    ops(`/ops/actions/${actionId}/${decision}`, auth, {});
  const auditOf = async (transactionId: string) =>
    (await ops(`/ops/audit?transactionId=${encodeURIComponent(transactionId)}`, viewer)).body.events as AuditEvent[];

  /** A dual-messaging provision the channel never settles: left open, awaiting its advice. */
  async function openProvision() {
    const request = makeProvisionRequest();
    const answer = await sw.post('/suv/v1/vouchers', request);
    expect(answer.status).toBe(201);
    const id = workflowIdFor('22222222', request.id as string);
    await recorded(id);
    return { id, messageId: request.id as string, code: (answer.body as { voucher: { code: string } }).voucher.code };
  }
  /** Resolves once the reporting copy has the transaction. */
  const recorded = (id: string) =>
    eventually(async () => ((await ops(`/ops/transactions/${id}`, viewer)).status === 200 ? true : undefined));
  const phaseOf = async (id: string) => (await sw.client.workflow.getHandle(id).query<Lifecycle>('snapshot')).phase;

  /** A confirmed provision, once its confirmation has settled with the provider and in the copy. */
  async function confirmedProvision() {
    const provision = await openProvision();
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(provision.messageId))).status).toBe(202);
    const final = await sw.client.workflow.getHandle(provision.id).result();
    const advice = (final as Lifecycle).advices[0];
    return { ...provision, advice: advice as NonNullable<typeof advice> };
  }

  async function adviceRow(transactionId: string, adviceId: string) {
    const detail = (await ops(`/ops/transactions/${transactionId}`, viewer)).body as {
      advices: { adviceId: string; saf: string; attempts: number }[];
    };
    return detail.advices.find((advice) => advice.adviceId === adviceId);
  }

  it('lets a viewer look but not act: refused before anything is recorded', async () => {
    const { id } = await openProvision();
    const refused = await act(id, viewer, { action: 'reverse', reason: 'trying' });
    expect(refused).toMatchObject({ status: 403, body: { errorType: 'AUTHENTICATION_ERROR' } });
    expect(await auditOf(id)).toEqual([]);
    expect(await phaseOf(id)).toBe('APPROVED');
  });

  it('settles an open transaction only once a second operator approves, through the channel’s update', async () => {
    const { id, messageId } = await openProvision();
    const asked = await act(id, alice, { action: 'confirm', reason: 'the channel lost its confirmation' });
    expect(asked.status).toBe(202);
    const { actionId } = asked.body as ActionAnswer;
    expect(asked.body).toMatchObject({ step: 'requested' });
    // Nothing moved yet, and it is listed for approval.
    expect(await phaseOf(id)).toBe('APPROVED');
    const pending = (await ops('/ops/actions', viewer)).body.actions as AuditEvent[];
    expect(pending.map((action) => action.actionId)).toContain(actionId);

    // Not by the operator who asked.
    expect(await decide(actionId, 'approval', alice)).toMatchObject({
      status: 403,
      body: { errorType: 'AUTHENTICATION_ERROR' },
    });
    expect(await phaseOf(id)).toBe('APPROVED');

    const approved = await decide(actionId, 'approval', bob);
    expect(approved.status).toBe(200);
    expect((approved.body as ActionAnswer).steps.map((step) => [step.operator, step.step])).toEqual([
      ['alice', 'requested'],
      ['bob', 'approved'],
      ['alice', 'done'],
    ]);
    expect(await phaseOf(id)).toBe('CONFIRMED');
    const confirmations = await eventually(async () => {
      const ledger = await sw.simulator.ledger({ channelMessageId: messageId });
      const outcomes = ledger.filter((entry) => entry.operation === 'confirm').map((entry) => entry.outcome);
      return outcomes.length > 0 ? outcomes : undefined;
    });
    expect(confirmations).toEqual(['ok']);
    // Decided once: a second approval is refused, and runs nothing.
    expect(await decide(actionId, 'approval', bob)).toMatchObject({ status: 409 });
    expect((await ops('/ops/actions', viewer)).body.actions).not.toContainEqual(expect.objectContaining({ actionId }));

    // The state rules are the channel's: a confirmed voucher cannot be reversed.
    const reversal = await act(id, alice, { action: 'reverse', reason: 'changed my mind' });
    const refused = await decide((reversal.body as ActionAnswer).actionId, 'approval', bob);
    expect(refused).toMatchObject({ status: 409, body: { errorType: 'VOUCHER_ALREADY_CONFIRMED' } });
    expect(await phaseOf(id)).toBe('CONFIRMED');

    const trail = await auditOf(id);
    expect(trail.map((event) => `${event.action} ${event.step} ${event.operator}`)).toEqual([
      'reverse refused alice',
      'reverse approved bob',
      'reverse requested alice',
      'confirm done alice',
      'confirm approved bob',
      'confirm requested alice',
    ]);
    expect(trail.at(-1)).toMatchObject({ reason: 'the channel lost its confirmation', transactionId: id });
  });

  it('runs nothing that was rejected', async () => {
    const { id } = await openProvision();
    const asked = await act(id, bob, { action: 'reverse', reason: 'suspected fraud' });
    const rejected = await decide((asked.body as ActionAnswer).actionId, 'rejection', alice);
    expect(rejected).toMatchObject({ status: 200, body: { step: 'rejected' } });
    expect(await phaseOf(id)).toBe('APPROVED');
    expect(await decide((asked.body as ActionAnswer).actionId, 'approval', alice)).toMatchObject({ status: 409 });
    expect(await phaseOf(id)).toBe('APPROVED');
  });

  it('sends a refused advice again, at once: it does not move money', async () => {
    await sw.simulator.behave({
      provider: 'flash',
      operation: 'confirm',
      mode: 'decline',
      code: 'INVALID_STATE',
      count: 1,
    });
    const { id, messageId, advice } = await confirmedProvision();
    expect(advice).toMatchObject({ saf: 'refused' });
    await eventually(async () => ((await adviceRow(id, advice.id))?.saf === 'refused' ? true : undefined));

    const sent = await act(id, alice, { action: 'redeliver-advice', adviceId: advice.id, reason: 'provider fixed it' });
    expect(sent).toMatchObject({ status: 200, body: { step: 'done' } });
    expect((sent.body as ActionAnswer).steps.map((step) => step.step)).toEqual(['started', 'done']);
    expect(await adviceRow(id, advice.id)).toMatchObject({ saf: 'delivered', attempts: 2 });
    const ledger = await sw.simulator.ledger({ channelMessageId: messageId });
    expect(ledger.filter((entry) => entry.operation === 'confirm').map((entry) => entry.outcome)).toEqual([
      'declined',
      'ok',
    ]);
    // Only a refused advice can be sent again.
    expect(await act(id, alice, { action: 'redeliver-advice', adviceId: advice.id, reason: 'again' })).toMatchObject({
      status: 409,
    });
  });

  it('marks a refused advice settled by hand, with a second operator, and takes it off the backlog', async () => {
    await sw.simulator.behave({
      provider: 'flash',
      operation: 'confirm',
      mode: 'decline',
      code: 'INVALID_STATE',
      count: 1,
    });
    const { id, advice } = await confirmedProvision();
    await eventually(async () => ((await adviceRow(id, advice.id))?.saf === 'refused' ? true : undefined));
    const refusedAtFlash = async () =>
      ((await ops('/ops/backlog', viewer)).body.providers as { provider: string; refused: number }[]).find(
        (row) => row.provider === 'flash',
      )?.refused ?? 0;
    const before = await refusedAtFlash();

    const asked = await act(id, bob, {
      action: 'settle-advice-by-hand',
      adviceId: advice.id,
      reason: 'confirmed with Flash by phone',
    });
    expect(asked.status).toBe(202);
    expect(await adviceRow(id, advice.id)).toMatchObject({ saf: 'refused' });
    const approved = await decide((asked.body as ActionAnswer).actionId, 'approval', alice);
    expect(approved).toMatchObject({ status: 200, body: { step: 'done' } });
    expect(await adviceRow(id, advice.id)).toMatchObject({ saf: 'settled-by-hand' });
    expect(await refusedAtFlash()).toBe(before - 1);
  });

  it('blocks a lost voucher: neither redeemed nor refunded until unblocked', async () => {
    const { id, code } = await confirmedProvision();
    const blocked = await act(id, alice, { action: 'block-voucher', reason: 'customer reports it stolen' });
    expect(blocked).toMatchObject({ status: 200, body: { step: 'done' } });

    const refused = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code));
    expect(refused).toMatchObject({
      status: 400,
      body: { errorType: 'VOUCHER_NOT_REDEEMABLE', errorMessage: 'The voucher is blocked.' },
    });

    expect(await act(id, bob, { action: 'unblock-voucher', reason: 'found it' })).toMatchObject({ status: 200 });
    const redeemed = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code));
    expect(redeemed.status).toBe(201);

    // A voucher the provision never issued cannot be blocked.
    const declined = makeProvisionRequest();
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
    expect((await sw.post('/suv/v1/vouchers', declined)).status).toBeGreaterThanOrEqual(400);
    const declinedId = workflowIdFor('22222222', declined.id as string);
    await recorded(declinedId);
    expect(await act(declinedId, alice, { action: 'block-voucher', reason: 'no' })).toMatchObject({ status: 409 });
  });

  it('refuses bad input with an ErrorDetail, recording nothing', async () => {
    const { id } = await openProvision();
    expect(await act(id, alice, { action: 'confirm' })).toMatchObject({
      status: 400,
      body: { errorType: 'FORMAT_ERROR' },
    });
    expect(await act(id, alice, { action: 'redeliver-advice', reason: 'which?' })).toMatchObject({ status: 400 });
    expect(await act(id, alice, { action: 'explode', reason: 'x' })).toMatchObject({ status: 400 });
    expect(await act('no-such-transaction', alice, { action: 'confirm', reason: 'x' })).toMatchObject({ status: 404 });
    expect(await act(id, alice, { action: 'settle-advice-by-hand', adviceId: 'nope', reason: 'x' })).toMatchObject({
      status: 404,
    });
    expect(await auditOf(id)).toEqual([]);
  });

  it('keeps the audit trail append-only: no route changes it, and the database refuses to', async () => {
    const { id } = await openProvision();
    await act(id, alice, { action: 'block-voucher', reason: 'for the record' });
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const response = await fetch(`${sw.url}/ops/audit`, { method, headers: { authorization: alice } });
      expect(response.status, method).toBeGreaterThanOrEqual(404);
    }
    const db = sw.reporting.db;
    for (const statement of [
      sql`update audit_events set reason = 'edited'`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
    ]) {
      const refusal = await db.execute(statement).then(
        () => undefined,
        (error: Error) => error.cause as Error,
      );
      expect(refusal?.message).toMatch(/append-only/);
    }
    expect((await auditOf(id)).map((event) => event.reason)).toContain('for the record');
  });

  it('records the other operator actions too: a report produced', async () => {
    const yesterday = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    expect((await ops(`/ops/reports/${yesterday}`, bob, {})).status).toBe(200);
    const trail = (await ops('/ops/audit?operator=bob', viewer)).body.events as AuditEvent[];
    expect(trail).toContainEqual(
      expect.objectContaining({ action: 'produce-settlement-report', target: yesterday, step: 'done' }),
    );
  });
});
