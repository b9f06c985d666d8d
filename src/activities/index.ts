import { createAnsweredProvisionActivities } from './answered-provision';
import { type BackOfficeActivityDeps, createBackOfficeActivities } from './back-office';
import { createProviderActivities, type ProviderActivityDeps } from './provider';
import { createReportingActivities, type ReportingActivityDeps } from './reporting';
import { createSettlementActivities, type SettlementActivityDeps } from './settlement';

export type ActivityDeps = ProviderActivityDeps &
  ReportingActivityDeps &
  SettlementActivityDeps &
  BackOfficeActivityDeps;

/** All activities, built from their dependencies; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  const provider = createProviderActivities(deps);
  const reporting = createReportingActivities(deps);
  return {
    ...provider,
    ...reporting,
    ...createAnsweredProvisionActivities(provider, reporting),
    ...createSettlementActivities(deps),
    ...createBackOfficeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
