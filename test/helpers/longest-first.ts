import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest, in order. Vitest runs the larger files first when it has no
 * timings yet (a fresh clone, CI), and these are small files: they would start last and leave
 * one of the two workers running alone at the end. Started first, the others fill in around them.
 */
const longest = [
  'test/faults/fault-suite.test.ts',
  'test/integration/fuzz.test.ts',
  'test/integration/worker-crash.test.ts',
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const place = longest.findIndex((path) => file.moduleId.endsWith(path));
      return place === -1 ? longest.length : place;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
