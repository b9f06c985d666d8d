import { createProviderActivities, type ProviderActivityDeps } from './provider';
import { createReportingActivities, type ReportingActivityDeps } from './reporting';

export type ActivityDeps = ProviderActivityDeps & ReportingActivityDeps;

/** All activities, built from their dependencies; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  return { ...createProviderActivities(deps), ...createReportingActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
