import { AppError } from '../errors.ts';
import type { Dialect } from './dialect.ts';

/** "countCoupons(ev_1)", "insertCoupons(500 items)": the operation and what it was about, for messages. */
const describeCall = (what: string, [first]: unknown[]) => {
  if (typeof first === 'string') return `${what}(${first})`;
  return Array.isArray(first) ? `${what}(${first.length} items)` : what;
};

// A host with several addresses fails with an AggregateError whose own message may be empty.
const describe = (error: unknown): string =>
  error instanceof AggregateError && !error.message
    ? error.errors.map(describe).join('; ')
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * The one place where driver errors become AppErrors. An outage is DB_UNAVAILABLE and retryable; a
 * refusal the operation did not turn into a value is DB_WRITE_FAILED; any other database error is
 * DB_QUERY_FAILED. AppErrors, and errors that did not come from the database (a callback's), pass as they are.
 */
function toAppError(dialect: Dialect, call: string, error: unknown): unknown {
  if (error instanceof AppError) return error;
  const meaning = dialect.classifyError(error);
  if (!meaning) return error;
  const said = describe(error);
  const { product } = dialect;
  switch (meaning.kind) {
    case 'outage':
      return new AppError('DB_UNAVAILABLE', `${product} did not answer ${call}: ${said}`, {
        cause: error,
        retryable: true,
      });
    case 'refusal':
      return new AppError('DB_WRITE_FAILED', `${product} refused ${call} (${meaning.cause}): ${said}`, {
        cause: error,
      });
    case 'failure':
      return new AppError('DB_QUERY_FAILED', `${product} failed ${call}: ${said}`, { cause: error });
  }
}

export function mapErrors<A extends unknown[], R>(
  dialect: Dialect,
  what: string,
  op: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await op(...args);
    } catch (error) {
      throw toAppError(dialect, describeCall(what, args), error);
    }
  };
}
