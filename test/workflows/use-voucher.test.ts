import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { assert, describe, expect, it } from 'vitest';
import { isProvisionAnswer } from '../../src/contract/answers';
import { providerIds } from '../../src/domain/providers';
import { workflowIdFor } from '../../src/domain/provision';
import type { UseInput } from '../../src/domain/use';
import { type VoucherRecord, type VoucherUse, voucherWorkflowId } from '../../src/domain/voucher';
import type { SimulatedOperation } from '../../src/providers/simulator/behaviours';
import { voucherKeyer } from '../../src/voucher-key';
import {
  confirmTransaction,
  reverseTransaction,
  submitProvision,
  submitUse,
  transactionSnapshot,
  voucherSnapshot,
} from '../../src/workflows/messages';
import type { provisionVoucher } from '../../src/workflows/provision-voucher';
import type { redeemVoucher } from '../../src/workflows/use-voucher';
import type { voucherLifecycle } from '../../src/workflows/voucher-lifecycle';
import { eventually } from '../helpers/eventually';
import { makeRedemptionRequest, makeRefundRequest } from '../helpers/fixtures';
import { fifteenMinutes, provisionInput, testVoucherHashKey, useTimeSkipping } from '../helpers/time-skipping';

const ts = useTimeSkipping();
const withWorker = ts.withWorker;
const channelId = '22222222';
const switchInstitution = { id: '33333333', name: 'Voucher Switch' };

const adviceFor = (requestId: string) => ({ id: randomUUID(), requestId });

/** A dual-messaging flash provision, confirmed and delivered: the voucher's code and its workflow. */
async function confirmedVoucher(taskQueue: string) {
  const input = provisionInput('dual');
  const { request } = input;
  const answer = await ts.client.workflow.executeUpdateWithStart(submitProvision, {
    args: [input, 'request'],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof provisionVoucher>('provisionVoucher', {
      workflowId: input.transactionId,
      taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  assert(isProvisionAnswer(answer), 'approved');
  const provision = ts.client.workflow.getHandle<typeof provisionVoucher>(input.transactionId);
  expect((await provision.executeUpdate(confirmTransaction, { args: [adviceFor(request.id)] })).status).toBe(202);
  // The provision finishes once its confirmation is delivered and the voucher's workflow is told.
  expect((await provision.result()).advices[0]?.saf).toBe('delivered');

  const code = answer.body.voucher.code ?? assert.fail('the answer carries the voucher code');
  const voucher = ts.client.workflow.getHandle<typeof voucherLifecycle>(
    voucherWorkflowId(voucherKeyer(testVoucherHashKey)(code)),
  );
  await expect(voucher.query(voucherSnapshot)).resolves.toMatchObject({ state: 'REDEEMABLE', pendingAdvices: [] });
  return { code, voucher };
}

/** A dual-messaging redemption or refund of `code`, as the API submits it. */
async function submit(taskQueue: string, use: VoucherUse, code: string) {
  const make = use === 'redemption' ? makeRedemptionRequest : makeRefundRequest;
  const request = make(code) as unknown as UseInput['request'];
  const input: UseInput = {
    type: use,
    transactionId: workflowIdFor(channelId, request.id, use),
    switchReference: randomUUID(),
    channelId,
    messaging: 'dual',
    voucherKey: voucherKeyer(testVoucherHashKey)(code),
    deadlinesMs: Object.fromEntries(providerIds.map((id) => [id, 5_000])) as UseInput['deadlinesMs'],
    settleAfterMs: fifteenMinutes,
    switchInstitution,
    request,
    receivedAt: new Date().toISOString(),
  };
  const answer = await ts.client.workflow.executeUpdateWithStart(submitUse, {
    args: [input, 'request'],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof redeemVoucher>(
      use === 'redemption' ? 'redeemVoucher' : 'refundVoucher',
      { workflowId: input.transactionId, taskQueue, args: [], workflowIdConflictPolicy: 'USE_EXISTING' },
    ),
  });
  return { input, answer, handle: ts.client.workflow.getHandle<typeof redeemVoucher>(input.transactionId) };
}

const providerSaw = (input: UseInput, operation: SimulatedOperation) =>
  ts.sim.ledger.filter((e) => e.channelMessageId === input.request.id && e.operation === operation);

/** The voucher's record once its workflow has caught up with `done`. */
const voucherWhen = (
  voucher: Awaited<ReturnType<typeof confirmedVoucher>>['voucher'],
  done: (record: VoucherRecord) => boolean,
) =>
  eventually(async () => {
    const record = await voucher.query(voucherSnapshot);
    return done(record) ? record : undefined;
  }, 5_000);

describe('redemption and refund workflows (time-skipping server)', () => {
  it("repeats a redemption's confirmation while the provider is down for hours, then delivers it once", async () => {
    await withWorker(async (taskQueue) => {
      const { code, voucher } = await confirmedVoucher(taskQueue);
      const { input, answer, handle } = await submit(taskQueue, 'redemption', code);
      expect(answer.status).toBe(201);
      await expect(voucher.query(voucherSnapshot)).resolves.toMatchObject({ state: 'REDEEMED' });

      ts.sim.behaviours.add({ provider: 'flash', operation: 'confirmRedeem', mode: 'down' });
      const confirmation = adviceFor(input.request.id);
      expect((await handle.executeUpdate(confirmTransaction, { args: [confirmation] })).status).toBe(202);

      await ts.env.sleep('4 hours');
      const attempts = providerSaw(input, 'confirmRedeem');
      expect(attempts.length).toBeGreaterThan(10);
      expect(attempts.every((e) => e.outcome === 'down')).toBe(true);
      expect((await handle.query(transactionSnapshot)).advices).toEqual([
        expect.objectContaining({ kind: 'confirm', id: confirmation.id, saf: 'pending' }),
      ]);
      // The voucher keeps the confirmation for the next use to deliver first.
      expect(await voucher.query(voucherSnapshot)).toMatchObject({
        state: 'REDEMPTION_CONFIRMED',
        pendingAdvices: [expect.objectContaining({ operation: 'confirmRedeem', id: confirmation.id })],
      });

      ts.sim.behaviours.clear();
      await ts.env.sleep('6 minutes'); // the next attempt comes at most five minutes after the last
      const final = await handle.result();
      expect(final.phase).toBe('CONFIRMED');
      expect(final.advices).toEqual([expect.objectContaining({ kind: 'confirm', saf: 'delivered' })]);
      expect(providerSaw(input, 'confirmRedeem').filter((e) => e.outcome === 'ok')).toEqual([
        expect.objectContaining({ id: confirmation.id, requestId: input.switchReference }),
      ]);
      const record = await voucherWhen(voucher, (v) => v.pendingAdvices.length === 0);
      expect(record).toMatchObject({ state: 'REDEMPTION_CONFIRMED', lastRedemption: input.switchReference });
      expect(record.holder).toBeUndefined();
    });
  });

  it("repeats a refund's reversal while the provider is down for hours, then delivers it once", async () => {
    await withWorker(async (taskQueue) => {
      const { code, voucher } = await confirmedVoucher(taskQueue);
      const redemption = await submit(taskQueue, 'redemption', code);
      expect(redemption.answer.status).toBe(201);
      await redemption.handle.executeUpdate(confirmTransaction, { args: [adviceFor(redemption.input.request.id)] });
      expect((await redemption.handle.result()).phase).toBe('CONFIRMED');

      const { input, answer, handle } = await submit(taskQueue, 'refund', code);
      expect(answer.status).toBe(201);
      await expect(voucher.query(voucherSnapshot)).resolves.toMatchObject({ state: 'REFUNDED' });

      ts.sim.behaviours.add({ provider: 'flash', operation: 'reverseRefund', mode: 'down' });
      const reversal = adviceFor(input.request.id);
      expect((await handle.executeUpdate(reverseTransaction, { args: [reversal] })).status).toBe(202);

      await ts.env.sleep('4 hours');
      const attempts = providerSaw(input, 'reverseRefund');
      expect(attempts.length).toBeGreaterThan(10);
      expect(attempts.every((e) => e.outcome === 'down')).toBe(true);
      expect((await handle.query(transactionSnapshot)).advices).toEqual([
        expect.objectContaining({ kind: 'reverse', id: reversal.id, saf: 'pending' }),
      ]);

      ts.sim.behaviours.clear();
      await ts.env.sleep('6 minutes'); // the next attempt comes at most five minutes after the last
      const final = await handle.result();
      expect(final.phase).toBe('REVERSED');
      expect(final.advices).toEqual([expect.objectContaining({ kind: 'reverse', saf: 'delivered' })]);
      expect(providerSaw(input, 'reverseRefund').filter((e) => e.outcome === 'ok')).toHaveLength(1);
      expect(providerSaw(input, 'confirmRefund')).toHaveLength(0);
      const record = await voucherWhen(voucher, (v) => v.pendingAdvices.length === 0);
      expect(record).toMatchObject({ state: 'REDEMPTION_CONFIRMED', lastRedemption: redemption.input.switchReference });
      expect(record.holder).toBeUndefined();
    });
  });

  it('reverses a dual-messaging redemption nobody confirms, and the voucher is redeemable again', async () => {
    await withWorker(async (taskQueue) => {
      const { code, voucher } = await confirmedVoucher(taskQueue);
      const { input, answer, handle } = await submit(taskQueue, 'redemption', code);
      expect(answer.status).toBe(201);

      await ts.env.sleep('16 minutes');
      const final = await handle.result();
      expect(final.phase).toBe('REVERSED');
      expect(final.advices).toEqual([
        expect.objectContaining({ kind: 'reverse', origin: 'switch', reason: 'TIMEOUT', saf: 'delivered' }),
      ]);
      expect(providerSaw(input, 'reverseRedeem')).toEqual([
        expect.objectContaining({ requestId: input.switchReference, outcome: 'ok' }),
      ]);
      expect(providerSaw(input, 'confirmRedeem')).toHaveLength(0);
      const record = await voucherWhen(voucher, (v) => v.pendingAdvices.length === 0);
      expect(record.state).toBe('REDEEMABLE');
      expect(record.holder).toBeUndefined();

      const again = await submit(taskQueue, 'redemption', code);
      expect(again.answer.status).toBe(201);
      await expect(voucher.query(voucherSnapshot)).resolves.toMatchObject({
        state: 'REDEEMED',
        holder: { use: 'redemption', reference: again.input.switchReference },
      });
    });
  });

  it('refuses a redemption past the expiry date while the voucher’s workflow is still open', async () => {
    await withWorker(async (taskQueue) => {
      const code = String(Date.now()).padStart(16, '7');
      const key = voucherKeyer(testVoucherHashKey)(code);
      const now = await ts.env.currentTimeMs();
      const record: VoucherRecord = {
        key,
        provider: 'flash',
        voucher: { code, expiryDate: new Date(now + 3_600_000).toISOString() },
        receiver: { id: '70000009', name: 'Flash' },
        settlementEntity: switchInstitution,
        thirdPartyIdentifiers: [],
        provision: { channelId, requestId: randomUUID(), switchReference: randomUUID() },
        state: 'REDEEMABLE',
        // An advice still owed to the provider keeps the workflow open past the expiry date.
        pendingAdvices: [
          { operation: 'confirm', id: randomUUID(), requestId: randomUUID(), channelMessageId: randomUUID() },
        ],
      };
      const voucher = await ts.client.workflow.start<typeof voucherLifecycle>('voucherLifecycle', {
        workflowId: voucherWorkflowId(key),
        taskQueue,
        args: [record],
      });
      await ts.env.sleep('2 hours');
      expect((await voucher.describe()).status.name).toBe('RUNNING');

      const { answer, input } = await submit(taskQueue, 'redemption', code);
      expect(answer).toMatchObject({
        status: 400,
        body: { errorType: 'VOUCHER_NOT_REDEEMABLE', errorMessage: 'The voucher has expired.' },
      });
      expect(providerSaw(input, 'redeem')).toHaveLength(0);
    });
  });
});
