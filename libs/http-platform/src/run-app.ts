import { startTracing } from '@app/tracing';

/**
 * Entry-point wrapper. A refusal to start that lists its problems (a bad environment, Kafka
 * durability below the contract) is printed as that list, without a stack trace; any other boot
 * failure is printed whole. Either way the process exits 1.
 */
export function runApp(appName: string, boot: () => Promise<void>): void {
  // Before anything is built, so that every span of the app goes to the exporters.
  Promise.resolve()
    .then(() => startTracing(appName))
    .then(boot)
    .catch((error: unknown) => {
      if (listsProblems(error)) {
        console.error(`${appName}: ${error.message}`);
      } else {
        console.error(`${appName}: failed to start`, error);
      }
      process.exit(1);
    });
}

function listsProblems(error: unknown): error is Error & { problems: string[] } {
  return error instanceof Error && Array.isArray((error as { problems?: unknown }).problems);
}
