import { type Client, ScheduleAlreadyRunning, type ScheduleOptions } from '@temporalio/client';
import { type BusinessDaySettings, cutoffSeconds } from '../domain/settlement';

/**
 * How long after the cut-off the daily report is produced: the last transactions of the day have
 * their reporting writes in by then, each tried locally at once and durably every few seconds.
 */
export const reportDelaySeconds = 5 * 60;

/** The Schedule of a task queue's daily settlement report (one per task queue: tests share a namespace). */
export const settlementScheduleId = (taskQueue: string) => `settlement-report-daily-${taskQueue}`;

/** The workflow of an operator's report of `day`, one per switch and day. */
export const settlementReportId = (taskQueue: string, day: string) => `settlement-report-${taskQueue}-${day}`;

/** The daily Schedule's options: the settlement report workflow, five minutes after each cut-off, in its time zone. */
export function settlementSchedule(taskQueue: string, settings: BusinessDaySettings): ScheduleOptions {
  const at = ((cutoffSeconds(settings.cutoff) ?? 0) + reportDelaySeconds) % 86_400;
  return {
    scheduleId: settlementScheduleId(taskQueue),
    spec: {
      calendars: [{ hour: Math.floor(at / 3600), minute: Math.floor((at % 3600) / 60), second: at % 60 }],
      timezone: settings.timeZone,
    },
    // No arguments: the workflow reports the day that closed before its scheduled time.
    action: { type: 'startWorkflow', workflowType: 'settlementReport', taskQueue, args: [] },
    // A Temporal outage over the report's time: produced when the server is back, within a day;
    // each day's run stands on its own, so none waits for or skips another.
    policies: { catchupWindow: '1 day', overlap: 'ALLOW_ALL' },
  };
}

/**
 * Creates the daily Schedule, or brings an existing one to the current settings: every worker
 * does this at start, so a changed cut-off takes effect with the next deployment.
 */
export async function ensureSettlementSchedule(client: Client, taskQueue: string, settings: BusinessDaySettings) {
  const options = settlementSchedule(taskQueue, settings);
  try {
    await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, ...options.policies },
    }));
  }
}
