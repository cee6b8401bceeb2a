import type { DriverError, RefusalCause } from '../dialect.ts';
import { socketOutageCodes } from '../network-errors.ts';

/** The fields mysql2 sets on an error the server answered with. */
interface ServerError extends Error {
  errno: number;
  sqlState: string;
  sqlMessage?: string;
}

const isServerError = (error: unknown): error is ServerError =>
  error instanceof Error &&
  typeof (error as Partial<ServerError>).errno === 'number' &&
  typeof (error as Partial<ServerError>).sqlState === 'string';

const ER_DUP_ENTRY = 1062;
const ER_BAD_NULL_ERROR = 1048;
const ER_NO_REFERENCED_ROW_2 = 1452;
const ER_CHECK_CONSTRAINT_VIOLATED = 3819; // MySQL
const ER_CONSTRAINT_FAILED = 4025; // MariaDB
// A value the column cannot hold: too long, out of range, not a number, not a date, bad characters.
const valueRefusals = new Set([1406, 1264, 1366, 1292, 1367]);
// Too many connections, shutting down, killed, lock wait timeout, deadlock, query interrupted, the server
// gone (2006/2013, as clients behind a proxy report it), MySQL's idle disconnect.
const outageErrnos = new Set([
  1040, 1053, 1077, 1152, 1158, 1159, 1160, 1161, 1205, 1213, 1317, 1927, 2006, 2013, 4031,
]);
// mysql2's own names for a connection it lost or a reply that never came.
const outageSystemCodes = new Set([...socketOutageCodes, 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);
// mysql2 says so in words only: a pool ended (shutting down), a connection it already found closed.
const outageMessages = [/^Pool is closed\.$/, /in closed state$/];

const reasonByConstraint: Record<string, RefusalCause> = {
  coupons_seq_within_stock: 'beyond_stock',
  coupons_slot_within_limit: 'beyond_limit',
  // coupons' primary key is the ticket (0002); the other tables' rows are never refused (their inserts
  // skip a duplicate), so a refusal on a PRIMARY key is always a coupon's ticket taken.
  PRIMARY: 'ticket_taken',
  coupons_one_per_user_slot: 'slot_taken',
  coupons_event: 'unknown_event',
};

// "Duplicate entry 'ev-1' for key 'PRIMARY'" (MySQL 8 prefixes the table: 'coupons.…').
const duplicateKey = /for key '(?:[^'.]*\.)?([^'.]*)'$/;
// "CONSTRAINT `coupons_seq_within_stock` failed for …" (MariaDB), "Check constraint 'x' is violated." (MySQL),
// "… a foreign key constraint fails (`db`.`coupons`, CONSTRAINT `coupons_event` FOREIGN KEY …" (both).
const namedConstraint = /constraint [`']([^`']+)[`']/i;

function constraintOf({ errno, message }: ServerError): string | undefined {
  const pattern = errno === ER_DUP_ENTRY ? duplicateKey : namedConstraint;
  return pattern.exec(message)?.[1];
}

function refusalCause(error: ServerError): RefusalCause | undefined {
  const { errno } = error;
  // The batch insert's LEFT JOIN leaves event_stock NULL for an event that does not exist.
  if (errno === ER_BAD_NULL_ERROR) return /'event_stock'/.test(error.message) ? 'unknown_event' : 'refused';
  if (
    errno === ER_DUP_ENTRY ||
    errno === ER_NO_REFERENCED_ROW_2 ||
    errno === ER_CHECK_CONSTRAINT_VIOLATED ||
    errno === ER_CONSTRAINT_FAILED
  ) {
    return reasonByConstraint[constraintOf(error) ?? ''] ?? 'refused';
  }
  return valueRefusals.has(errno) ? 'refused' : undefined;
}

function isOutage(error: unknown): boolean {
  if (isServerError(error)) return outageErrnos.has(error.errno);
  const { code } = (error ?? {}) as { code?: unknown };
  if (typeof code === 'string' && outageSystemCodes.has(code)) return true;
  // A host with several addresses fails with one error per address.
  if (error instanceof AggregateError) return error.errors.some(isOutage);
  return error instanceof Error && outageMessages.some((m) => m.test(error.message));
}

export function classifyError(error: unknown): DriverError | undefined {
  if (isOutage(error)) return { kind: 'outage' };
  if (!isServerError(error)) return undefined;
  const cause = refusalCause(error);
  return cause ? { kind: 'refusal', cause, detail: error.message } : { kind: 'failure' };
}
