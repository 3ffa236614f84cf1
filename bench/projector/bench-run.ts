import { Teardown } from '../commands/bench-infra';

/**
 * Runs a bench's `main` with a Teardown that stops everything it started, on success, failure
 * and Ctrl-C alike. `main` returning false marks the run failed (exit code 1).
 */
export function runBench(main: (teardown: Teardown) => Promise<boolean>): void {
  const teardown = new Teardown();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[bench] ${signal}: stopping everything`);
      void teardown.run().finally(() => process.exit(130));
    });
  }
  void main(teardown)
    .then((passed) => {
      if (!passed) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => teardown.run());
}
