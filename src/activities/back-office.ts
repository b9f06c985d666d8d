import type { ReportingDb } from '../db/client';
import { appendAuditOnce, type Redelivery, recordRedelivery } from '../db/queries/audit';

export interface BackOfficeActivityDeps {
  db: ReportingDb;
}

/** What an operator's redelivery of a refused advice came to, for the copy and the audit trail. */
export interface RedeliveryOutcome {
  actionId: string;
  operator: string;
  transactionId: string;
  adviceId: string;
  redelivery: Redelivery;
}

export function createBackOfficeActivities({ db }: BackOfficeActivityDeps) {
  return {
    /** Records the redelivery on the advice's row and as the action's outcome; once, however often retried. */
    async recordAdviceRedelivery({ actionId, operator, transactionId, adviceId, redelivery }: RedeliveryOutcome) {
      await recordRedelivery(db, transactionId, adviceId, redelivery);
      const refused = redelivery.saf === 'refused';
      await appendAuditOnce(db, {
        operator,
        action: 'redeliver-advice',
        step: refused ? 'refused' : 'done',
        actionId,
        transactionId,
        target: adviceId,
        outcome: refused
          ? `The provider refused it again: ${redelivery.lastError ?? 'no reason given'}`
          : `${redelivery.saf} after ${redelivery.attempts} attempt(s)`,
      });
    },
  };
}
