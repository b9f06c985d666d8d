import type { Lifecycle } from '../domain/lifecycle';
import { answered, type ProvisionAttempt, type ProvisionInput } from '../domain/provision';
import { provisionReport } from '../domain/report';
import { within } from '../within';
import type { createProviderActivities, ProvisionAtProviderInput } from './provider';
import type { createReportingActivities } from './reporting';

export interface ProvisionAndRecordInput {
  call: ProvisionAtProviderInput;
  /**
   * What the workflow's own first write would take: the request, its state as the provider is
   * asked, the run, the write's revision and the workflow's time (absent in histories from before it was kept).
   */
  firstRow: { input: ProvisionInput; state: Lifecycle; runId: string; revision: number; writtenAt?: string };
}

/**
 * How long the answer waits for the first row, as long as for the workflow's own local write: a
 * slow or absent reporting copy holds no answer up. A write given up on may still land later;
 * its revision keeps it from replacing a newer one.
 */
const firstRowBoundMs = 2_000;

/** The provider's attempt; `answerRecordedAt` when the reporting copy took the first row with the answer (given at that time). */
export type RecordedProvisionAttempt = ProvisionAttempt & { answerRecordedAt?: string };

/**
 * A new provision's call to its provider and, when the provider issued the voucher, the
 * reporting copy's first row for it, in one activity: the workflow task that answers the
 * channel then runs one local activity, as the Temporal floor's does, instead of two one after
 * the other. The row is the one the workflow would have written, built by the same domain
 * functions from the same state; a write that fails is left to the workflow, which writes as it
 * does at every other step.
 */
export function createAnsweredProvisionActivities(
  provider: Pick<ReturnType<typeof createProviderActivities>, 'provisionAtProvider'>,
  reporting: Pick<ReturnType<typeof createReportingActivities>, 'recordTransaction'>,
) {
  return {
    async provisionAndRecord({ call, firstRow }: ProvisionAndRecordInput): Promise<RecordedProvisionAttempt> {
      const attempt = await provider.provisionAtProvider(call);
      if (!attempt.ok) return attempt;
      const at = new Date().toISOString();
      const state = answered({ ...firstRow.state }, firstRow.input, attempt, at);
      const report = {
        ...provisionReport(firstRow.input, attempt, state, firstRow.runId),
        revision: firstRow.revision,
        writtenAt: firstRow.writtenAt,
      };
      // A failed write is counted and logged by the write; the workflow then writes as at any step.
      const recorded = await within(
        firstRowBoundMs,
        reporting.recordTransaction(report).then(() => true),
        false,
      );
      return recorded ? { ...attempt, answerRecordedAt: at } : attempt;
    },
  };
}
