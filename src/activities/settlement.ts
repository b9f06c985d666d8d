import { ApplicationFailure } from '@temporalio/common';
import type { ReportingDb } from '../db/client';
import { produceSettlementReport } from '../db/queries/settlement';
import { type BusinessDay, type BusinessDaySettings, lastClosedDay } from '../domain/settlement';

export interface SettlementActivityDeps {
  db: ReportingDb;
  settlement: BusinessDaySettings;
}

/** The failure type of a report asked for a business day that has not ended. */
export const dayNotClosed = 'BusinessDayNotClosed';

export function createSettlementActivities({ db, settlement }: SettlementActivityDeps) {
  return {
    /**
     * Stores the business day's settlement report (when none is named, the last day that had
     * closed at `asOf`) unless it is stored already, and says which day and how many transactions.
     */
    async produceSettlementReport({ day, asOf }: { day?: BusinessDay; asOf: string }) {
      const closed = lastClosedDay(new Date(asOf), settlement);
      const businessDay = day ?? closed;
      if (businessDay > closed) {
        throw ApplicationFailure.nonRetryable(`business day ${businessDay} has not closed yet`, dayNotClosed);
      }
      const report = await produceSettlementReport(db, businessDay, settlement);
      return { businessDay: report.businessDay, transactionCount: report.transactionCount };
    },
  };
}
