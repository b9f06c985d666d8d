import { describe, expect, it } from 'vitest';
import { runFaultSuite, type SuiteSize, suiteSizes } from '../../scripts/faults';

/**
 * The fault suite (scripts/faults/): its short run in `npm test`, the full one with
 * FAULT_SUITE=full (or `npm run test:faults`). The reporting copy is a database of its own on
 * TEST_DATABASE_URL's server, so the suite needs it.
 */
const databaseUrl = process.env.TEST_DATABASE_URL;
const size: SuiteSize = process.env.FAULT_SUITE === 'full' ? 'full' : 'short';

/** Two API and two worker processes, the APIs behind a round-robin balancer: the shape that scales out. */
const instances = 2;

describe.skipIf(!databaseUrl)('the switch under faults', () => {
  it(
    `loses, duplicates and leaves unsettled nothing through worker and API kills, a Temporal restart, a provider outage and timeouts, and a reporting-database cut (${size} run, ${instances} instances)`,
    async () => {
      // The run's account, printed once at the end rather than line by line.
      const lines: string[] = [];
      try {
        const { problems, table } = await runFaultSuite({
          size,
          databaseUrl: databaseUrl as string,
          instances,
          log: (line) => lines.push(line),
        });
        lines.push('', table);
        expect(problems).toEqual([]);
      } finally {
        console.log(lines.join('\n'));
      }
    },
    suiteSizes[size].timeoutMs,
  );
});
