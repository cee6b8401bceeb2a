import { OperatorError } from './admin-client.ts';

/** An operator command's expected failures (the API said no, or is not there) are one line and exit code 1. */
export async function reportOperatorErrors(command: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof OperatorError)) throw error;
    process.stderr.write(`firstcome ${command}: ${error.message}\n`);
    process.exitCode = 1;
  }
}
