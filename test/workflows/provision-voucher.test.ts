import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import proto from '@temporalio/proto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { findTransaction } from '../../src/db/queries/transactions';
import { decideReverse } from '../../src/domain/lifecycle';
import type { ProvisionInput } from '../../src/domain/provision';
import {
  confirmTransaction,
  reverseTransaction,
  submitProvision,
  transactionSnapshot,
} from '../../src/workflows/messages';
import type { provisionVoucher } from '../../src/workflows/provision-voucher';
import { eventually } from '../helpers/eventually';
import { fifteenMinutes, provisionInput, useTimeSkipping } from '../helpers/time-skipping';

const { temporal } = proto;

const ts = useTimeSkipping();

/** Runs `body` with its own server and worker; `provision` starts a transaction there. */
function withWorker(body: (provision: (input: ProvisionInput) => ReturnType<typeof startProvision>) => Promise<void>) {
  return ts.withWorker((taskQueue) => body((input) => startProvision(taskQueue, input)));
}

async function startProvision(taskQueue: string, input: ProvisionInput) {
  const answer = await ts.env.client.workflow.executeUpdateWithStart(submitProvision, {
    args: [input, 'request'],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof provisionVoucher>('provisionVoucher', {
      workflowId: input.transactionId,
      taskQueue,
      // As the API starts it: with the channel's origin and the request itself.
      args: [{ channelId: input.channelId, messageId: input.request.id }, input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { answer, handle: ts.env.client.workflow.getHandle<typeof provisionVoucher>(input.transactionId) };
}

const adviceFor = (input: ProvisionInput) => ({ id: randomUUID(), requestId: input.request.id });
const providerSaw = (input: ProvisionInput, operation: string) =>
  ts.sim.ledger.filter((e) => e.channelMessageId === input.request.id && e.operation === operation);

describe('provision workflow timers (time-skipping server)', () => {
  it('reverses an unconfirmed dual-messaging provision at the confirmation deadline', async () => {
    await withWorker(async (provision) => {
      const input = provisionInput('dual');
      const { answer, handle } = await provision(input);
      expect(answer.status).toBe(201);

      const final = await handle.result(); // skips the fifteen minutes
      expect(final.phase).toBe('REVERSED');
      expect(final.advices).toEqual([
        expect.objectContaining({ kind: 'reverse', origin: 'switch', reason: 'TIMEOUT', saf: 'delivered' }),
      ]);
      expect(providerSaw(input, 'reverse')).toEqual([
        expect.objectContaining({ requestId: input.switchReference, outcome: 'ok' }),
      ]);
    });
  });

  it('confirms a single-messaging provision for the channel when its window closes', async () => {
    await withWorker(async (provision) => {
      const input = provisionInput('single');
      const { handle } = await provision(input);

      const final = await handle.result();
      expect(final.phase).toBe('CONFIRMED');
      expect(providerSaw(input, 'confirm')).toHaveLength(1);
      expect(providerSaw(input, 'reverse')).toHaveLength(0);
    });
  });

  it('reverses instead when the single-messaging channel reverses inside the window', async () => {
    await withWorker(async (provision) => {
      const input = provisionInput('single');
      const { handle } = await provision(input);
      const reversal = await handle.executeUpdate(reverseTransaction, { args: [adviceFor(input)] });
      expect(reversal.status).toBe(202);

      expect((await handle.result()).phase).toBe('REVERSED');
      expect(providerSaw(input, 'confirm')).toHaveLength(0);
      expect(providerSaw(input, 'reverse')).toHaveLength(1);
    });
  });

  it('takes a single-messaging channel’s reversal 14 minutes on, and refuses it once the window has closed', async () => {
    await withWorker(async (provision) => {
      // Results through `ts.client`, which waits without skipping time: the clock moves only by the sleeps.
      const resultOf = (input: ProvisionInput) => ts.client.workflow.getHandle(input.transactionId).result();
      const late = { ...provisionInput('single'), settleAfterMs: fifteenMinutes };
      const tooLate = { ...provisionInput('single'), settleAfterMs: fifteenMinutes };
      const first = await provision(late);
      const second = await provision(tooLate);
      await ts.env.sleep('14 minutes');
      expect((await first.handle.executeUpdate(reverseTransaction, { args: [adviceFor(late)] })).status).toBe(202);
      expect((await resultOf(late)).phase).toBe('REVERSED');
      expect(providerSaw(late, 'reverse')).toEqual([expect.objectContaining({ outcome: 'ok' })]);

      await ts.env.sleep('2 minutes');
      // Confirmed for the channel and finished: the API answers a reversal from its final state.
      const final = await resultOf(tooLate);
      expect(final.phase).toBe('CONFIRMED');
      expect(decideReverse('provision', final, adviceFor(tooLate)).answer).toMatchObject({
        status: 400,
        body: { errorType: 'VOUCHER_ALREADY_CONFIRMED' },
      });
      expect(providerSaw(tooLate, 'reverse')).toHaveLength(0);
      expect(second.answer.status).toBe(201);
    });
  });

  it('follows the capabilities its input was given, not the profiles bundled now', async () => {
    await withWorker(async (provision) => {
      // Flash takes advices today; this transaction began when it did not.
      const input = {
        ...provisionInput('dual'),
        capabilities: { supportsRetries: true, supportsAdvices: false, supportsRedemption: true },
      };
      const { handle } = await provision(input);
      await handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] });
      const final = await handle.result();
      expect(final.advices).toEqual([expect.objectContaining({ kind: 'confirm', saf: 'consumed' })]);
      expect(providerSaw(input, 'confirm')).toHaveLength(0);
    });
  });

  it('repeats a confirmation while the provider is down for hours, then delivers it exactly once', async () => {
    await withWorker(async (provision) => {
      const input = provisionInput('dual');
      const { handle } = await provision(input);
      ts.sim.behaviours.add({ provider: 'flash', operation: 'confirm', mode: 'down' });
      expect((await handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] })).status).toBe(202);

      await ts.env.sleep('4 hours');
      const attempts = providerSaw(input, 'confirm');
      expect(attempts.length).toBeGreaterThan(40); // backoff capped at five minutes: roughly one every five
      expect(attempts.every((e) => e.outcome === 'down')).toBe(true);
      expect((await handle.query(transactionSnapshot)).advices[0]?.saf).toBe('pending');

      ts.sim.behaviours.clear();
      const final = await handle.result();
      expect(final.advices[0]?.saf).toBe('delivered');
      expect(providerSaw(input, 'confirm').filter((e) => e.outcome === 'ok')).toHaveLength(1);
    });
  });

  it("consumes Stellr's advices instead of sending them", async () => {
    await withWorker(async (provision) => {
      const input = provisionInput('dual', 'stellr');
      const { handle } = await provision(input);
      await handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] });

      const final = await handle.result();
      expect(final.advices).toEqual([expect.objectContaining({ kind: 'confirm', saf: 'consumed' })]);
      expect(providerSaw(input, 'confirm')).toHaveLength(0);
    });
  });

  it('takes a request whose update was lost with its worker, and reverses it at the provider when the channel reverses', async () => {
    await ts.withWorker(async (taskQueue) => {
      // Only the start is durable: the update that came with it died with the worker that took it.
      const input = provisionInput('dual');
      const handle = await ts.env.client.workflow.start<typeof provisionVoucher>('provisionVoucher', {
        workflowId: input.transactionId,
        taskQueue,
        args: [{ channelId: input.channelId, messageId: input.request.id }, input],
      });
      // The channel, told 504, reverses.
      expect((await handle.executeUpdate(reverseTransaction, { args: [adviceFor(input)] })).status).toBe(202);

      expect((await handle.result()).phase).toBe('REVERSED');
      expect(providerSaw(input, 'provision')).toEqual([expect.objectContaining({ id: input.switchReference })]);
      expect(providerSaw(input, 'reverse')).toEqual([
        expect.objectContaining({ requestId: input.switchReference, outcome: 'ok' }),
      ]);
    });
  });

  it("keeps a confirmation answered 202 when it reaches the workflow together with the deadline's timer", async () => {
    await ts.withWorker(async () => {
      // A transaction on a queue of its own, whose worker is gone while its deadline passes.
      const taskQueue = `wf-${randomUUID()}`;
      const input = provisionInput('dual');
      const first = await ts.createWorker(taskQueue, { cache: false });
      const { answer } = await first.runUntil(async () => {
        const started = await startProvision(taskQueue, input);
        // Stopped once idle: with a task or activity left undone, the test server would not skip time.
        const { EventType } = temporal.api.enums.v1;
        await eventually(async () => {
          const events = (await started.handle.fetchHistory()).events ?? [];
          const deadlineSet = events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
          const taskEvents = events.filter((e) => String(EventType[e.eventType ?? 0]).includes('WORKFLOW_TASK'));
          const idle = taskEvents.at(-1)?.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
          const activities = (await started.handle.describe()).raw.pendingActivities ?? [];
          return deadlineSet && idle && activities.length === 0 ? true : undefined;
        });
        return started;
      });
      expect(answer.status).toBe(201);
      // Past the deadline: once its timer fires, the task it schedules waits for a worker, and the
      // test server skips no further; the last second passes in real time.
      await ts.env.sleep(fifteenMinutes + 1_000);

      // The channel's confirmation and the fired timer reach the next worker in one task.
      const handle = ts.client.workflow.getHandle<typeof provisionVoucher>(input.transactionId);
      const confirmation = handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] });
      const next = await ts.createWorker(taskQueue, { cache: false });
      const final = await next.runUntil(async () => {
        expect((await confirmation).status).toBe(202);
        return handle.result();
      });
      expect(final.phase).toBe('CONFIRMED');
      expect(final.advices.map((a) => a.kind)).toEqual(['confirm']);
      expect(providerSaw(input, 'reverse')).toHaveLength(0);
    });
  });

  it('answers and settles while the reporting store is down, and records everything once it is back', async () => {
    const input = provisionInput('dual');
    await withWorker(async (provision) => {
      await ts.reporting.db.execute(sql`alter table transactions rename to transactions_offline`);
      const { answer, handle } = await provision(input);
      expect(answer.status).toBe(201);
      expect((await handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] })).status).toBe(202);

      // Hours of simulated outage: the write is retried, the workflow waits, nothing is lost.
      await ts.env.sleep('3 hours');
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      expect(pending[0]?.activityType?.name).toBe('recordTransaction');
      expect(pending[0]?.attempt).toBeGreaterThan(100);
      await expect(findTransaction(ts.reporting.db, input.transactionId)).rejects.toThrow();

      await ts.reporting.db.execute(sql`alter table transactions_offline rename to transactions`);
      expect((await handle.result()).phase).toBe('CONFIRMED');
    });
    expect(await findTransaction(ts.reporting.db, input.transactionId)).toMatchObject({ state: 'CONFIRMED' });
  });

  it('finishes a transaction whose writes the reporting copy refuses for their data, noting the refusal', async () => {
    const input = provisionInput('dual');
    // The copy refuses this transaction's rows as a data exception, as it would a value it cannot store.
    await ts.reporting.db.execute(
      sql.raw(`create function refuse_one() returns trigger language plpgsql as $$
        begin
          if new.id = '${input.transactionId}' then raise exception 'refused' using errcode = '22023'; end if;
          return new;
        end $$`),
    );
    await ts.reporting.db.execute(
      sql`create trigger refuse_one before insert or update on transactions for each row execute function refuse_one()`,
    );
    try {
      await withWorker(async (provision) => {
        const { answer, handle } = await provision(input);
        expect(answer.status).toBe(201);
        expect((await handle.executeUpdate(confirmTransaction, { args: [adviceFor(input)] })).status).toBe(202);
        const final = await ts.client.workflow.getHandle(input.transactionId).result();
        expect(final).toMatchObject({
          phase: 'CONFIRMED',
          reportingRefused: expect.stringContaining('SQLSTATE 22023'),
        });
        // Refused once per write, never retried: no activity is left pending.
        expect((await handle.describe()).raw.pendingActivities ?? []).toHaveLength(0);
      });
    } finally {
      await ts.reporting.db.execute(sql`drop trigger refuse_one on transactions`);
      await ts.reporting.db.execute(sql`drop function refuse_one`);
    }
  });
});
