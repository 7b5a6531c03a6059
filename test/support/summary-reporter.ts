import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends a test run on the plain line `N passed, N failed` (and `, N skipped` when any were), the same
 * closing line `partnerflow test` prints, so that CI and people read one format. Unhandled errors, and
 * a file that failed outside its tests (a hook threw), count as failures: such a run did not pass.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedTests += 1;
        else skipped += 1;
      }
      // A file can fail with every test passed (a hook or the file itself threw): it counts once.
      failed += failedTests > 0 || module.state() !== 'failed' ? failedTests : 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  }
}
