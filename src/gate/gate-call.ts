import { AppError } from '../errors.ts';

/** A Redis command that failed: Redis is down or refused, which retrying later may mend. */
export const gateUnavailable = (what: string, error: unknown) =>
  new AppError(
    'GATE_UNAVAILABLE',
    `Redis did not answer ${what}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, retryable: true },
  );

/** Runs Redis commands; their errors become GATE_UNAVAILABLE (an AppError the caller threw passes as it is). */
export async function callGate<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw gateUnavailable(what, error);
  }
}
