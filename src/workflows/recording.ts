import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Lifecycle, TransactionOrigin, TransactionType } from '../domain/lifecycle';
import { channelPaths, reportingWriteRefused, revisionAfter, type TransactionReport } from '../domain/report';
import { answerInOneActivity } from './channel-messages';
import { type SearchFields, searchAttributePairs, searchAttributes } from './search-attributes';

/*
 * Recording a transaction: its row in the reporting copy, written after each step without ever
 * holding the transaction up, and its search attributes, the Web UI's filters.
 */

const { recordTransaction } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: the reporting copy catches up whenever its database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The same write as a local activity, tried once first: it runs inside the workflow task, which
 * spares the server an activity task and a workflow task per write. Bounded, so a slow database
 * holds the task (and an answer completed in it) for two seconds at most before the durable
 * activity takes over. A timed-out try may still land later: the write's revision keeps it from
 * replacing a newer one.
 */
const { recordTransaction: recordTransactionNow } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 seconds',
  retry: { maximumAttempts: 1 },
});

/** The patch under which the reporting write became local-first. */
const localReportingWrite = 'reporting-write-local-first';

function refusedByTheCopy(failure: unknown): boolean {
  const cause = (failure as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === reportingWriteRefused;
}

/**
 * A transaction that only answered for an earlier run: it keeps that run's state for its
 * queries and writes nothing, the reporting copy's row being the earlier run's. Started with its
 * request, it was shown in flight: it shows the earlier run's state instead.
 */
export async function finishRepeat(state: Lifecycle): Promise<Lifecycle> {
  if (workflowInfo().typedSearchAttributes.get(searchAttributes.state) !== undefined)
    searchable()({ state: state.phase });
  await condition(allHandlersFinished);
  return state;
}

/**
 * Keeps the workflow's search attributes (the Web UI's filters) up to date; sends only what
 * changed since the start, which sets what it knows (the API's `startSearchFields`).
 */
export function searchable() {
  const atStart = workflowInfo().typedSearchAttributes;
  const sent: SearchFields = Object.fromEntries(
    Object.entries(searchAttributes).map(([field, key]) => [field, atStart.get(key)]),
  );
  return (fields: SearchFields) => {
    const changed = (Object.keys(fields) as (keyof SearchFields)[]).filter(
      (field) => fields[field] !== undefined && fields[field] !== sent[field],
    );
    if (changed.length === 0) return;
    for (const field of changed) sent[field] = fields[field];
    upsertSearchAttributes(searchAttributePairs(Object.fromEntries(changed.map((field) => [field, fields[field]]))));
  };
}

/**
 * A transaction of which only a reversal arrived: recorded so operators see it, then finished.
 * The finished workflow keeps the reversal and refuses the request if it comes late.
 */
export async function finishEarlyReversal(type: TransactionType, state: Lifecycle, origin?: TransactionOrigin) {
  const reversal = state.earlyReversalId;
  if (origin && reversal) {
    const reporting = reportingChain(() => ({
      type,
      transactionId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
      channelId: origin.channelId,
      channelPath: channelPaths[type],
      request: { id: origin.messageId },
      receivedAt: new Date().toISOString(),
      lifecycle: state,
    }));
    reporting.record();
    await reporting.finish();
  }
  await condition(allHandlersFinished);
  return state;
}

/** The revision of the workflow's next write to the reporting copy (`revisionAfter`). */
export function nextRevision(previous: number): number {
  return revisionAfter(previous, workflowInfo().historyLength);
}

/**
 * Writes to the reporting copy one after another, each with the state of its moment, without
 * holding up the transaction beyond the local try's two seconds: a reporting outage stops
 * neither timers nor deliveries.
 */
export function reportingChain(report: () => TransactionReport) {
  let recording = Promise.resolve();
  let revision = 0;
  const describe = searchable();
  // Workflows that began writing with durable activities only go on that way when replayed. A
  // workflow under the later patch writes local-first too, without a marker of this one's.
  const localFirst = patched(answerInOneActivity) || patched(localReportingWrite);
  const durably = (snapshot: TransactionReport) => recordTransaction(snapshot);
  const write = (snapshot: TransactionReport) =>
    (localFirst
      ? recordTransactionNow(snapshot).catch((failure) =>
          // A write the copy refuses for its data would be refused again: only an outage is worth the durable try.
          refusedByTheCopy(failure) ? Promise.reject(failure) : durably(snapshot),
        )
      : durably(snapshot)
    ).catch((failure: Error) => {
      // Never in the transaction's way: the refusal is noted in its state, and counted and logged by the activity.
      snapshot.lifecycle.reportingRefused = ((failure.cause as Error | undefined) ?? failure).message;
    });
  const describeNow = (snapshot: TransactionReport) =>
    describe({
      transactionType: snapshot.type,
      channel: snapshot.channelId,
      provider: snapshot.provider,
      voucherProvider: snapshot.voucherProvider,
      product: snapshot.productId,
      state: snapshot.lifecycle.phase,
    });
  return {
    /** Records the transaction as it is now, in the reporting copy and in its search attributes. */
    record() {
      revision = nextRevision(revision);
      const snapshot = { ...report(), revision, writtenAt: new Date().toISOString() };
      describeNow(snapshot);
      recording = recording.then(() => write(snapshot));
    },
    /** The first write, made by the activity that had the provider's answer: only the search attributes are left. */
    recordedWithTheAnswer() {
      // At least the activity's own revision, taken from a history no longer than today's.
      revision = nextRevision(revision);
      describeNow(report());
    },
    /** Waits for the last write, then for every handler, so the workflow can finish. */
    async finish() {
      await recording;
      await condition(allHandlersFinished);
    },
  };
}
