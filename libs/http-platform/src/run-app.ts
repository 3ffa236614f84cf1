import { InvalidEnvironmentError } from '@app/config';

/**
 * Entry-point wrapper: a bad environment is printed as its list of problems (no stack trace) and
 * the process exits non-zero; any other boot failure is printed whole.
 */
export function runApp(appName: string, boot: () => Promise<void>): void {
  boot().catch((error: unknown) => {
    if (error instanceof InvalidEnvironmentError) {
      console.error(`${appName}: ${error.message}`);
    } else {
      console.error(`${appName}: failed to start`, error);
    }
    process.exit(1);
  });
}
