import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

/*
 * A business day's settlement report, started by the daily Schedule (the day that has just
 * closed) or by an operator (any closed day). The report is stored once: running it again for
 * the same day answers with what was stored.
 */

const { produceSettlementReport } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // A reporting outage delays the report; it is produced once the copy is back.
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * `day`, or the business day that had closed at the run's scheduled time (its start time when
 * started by hand): fixed once, so that a retry after the next cut-off still reports the same day.
 */
export async function settlementReport(request: { day?: string } = {}) {
  const scheduled = workflowInfo().searchAttributes?.TemporalScheduledStartTime?.[0];
  const asOf = (scheduled instanceof Date ? scheduled : workflowInfo().startTime).toISOString();
  return produceSettlementReport({ day: request.day, asOf });
}
