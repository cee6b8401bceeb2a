import { describe, expect, it } from 'vitest';
import { classifyError } from './errors.ts';

// As mysql2 hands them over: the server's errno, SQLSTATE and message.
const serverError = (errno: number, message: string) =>
  Object.assign(new Error(message), { errno, sqlState: '23000', sqlMessage: message });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:3306`), { code });

describe('classifyError', () => {
  it('calls an outage what retrying may mend: refused, lost, timed out, shutting down, deadlocked', () => {
    const outages = [
      systemError('ECONNREFUSED'),
      systemError('PROTOCOL_CONNECTION_LOST'),
      new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'connect failed'),
      new Error('Pool is closed.'),
      new Error("Can't add new command when connection is in closed state"),
      serverError(1040, 'Too many connections'),
      serverError(1053, 'Server shutdown in progress'),
      serverError(1213, 'Deadlock found when trying to get lock; try restarting transaction'),
      serverError(1927, 'Connection was killed'),
    ];
    expect(outages.map((error) => classifyError(error)?.kind)).toEqual(outages.map(() => 'outage'));
  });

  it('names a refusal after the constraint that refused the row, in MariaDB’s words and MySQL’s', () => {
    const fk =
      'Cannot add or update a child row: a foreign key constraint fails (`db`.`coupons`, CONSTRAINT `coupons_event` ' +
      'FOREIGN KEY (`event_id`, `event_stock`, `event_per_user_limit`) REFERENCES `events` (`id`, `stock`, `per_user_limit`))';
    const refusals = [
      serverError(4025, 'CONSTRAINT `coupons_seq_within_stock` failed for `db`.`coupons`'),
      serverError(3819, "Check constraint 'coupons_slot_within_limit' is violated."),
      serverError(1062, "Duplicate entry 'ev_1-1' for key 'PRIMARY'"),
      serverError(1062, "Duplicate entry 'ev_1-alice-1' for key 'coupons.coupons_one_per_user_slot'"),
      serverError(1452, fk),
      serverError(1048, "Column 'event_stock' cannot be null"),
      serverError(4025, 'CONSTRAINT `refuses_mallory` failed for `db`.`coupons`'),
      serverError(1406, "Data too long for column 'user_id' at row 1"),
    ];
    expect(refusals.map((error) => classifyError(error))).toEqual(
      [
        'beyond_stock',
        'beyond_limit',
        'ticket_taken',
        'slot_taken',
        'unknown_event',
        'unknown_event',
        'refused',
        'refused',
      ].map((cause) => ({ kind: 'refusal', cause, detail: expect.any(String) })),
    );
  });

  it('calls any other database error a failure, and leaves errors that are not the database’s alone', () => {
    expect(classifyError(serverError(1146, "Table 'db.coupons' doesn't exist"))).toEqual({ kind: 'failure' });
    expect(classifyError(new TypeError('x is not a function'))).toBeUndefined();
    expect(classifyError('a string')).toBeUndefined();
  });
});
