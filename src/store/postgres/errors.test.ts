import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyError } from './errors.ts';

const databaseError = (code: string, fields: { constraint?: string; column?: string } = {}) =>
  Object.assign(new pg.DatabaseError(`error ${code}`, 0, 'error'), { code, ...fields });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('classifyError', () => {
  it('calls an outage what retrying may mend: refused, lost, timed out, shutting down', () => {
    const outages = [
      systemError('ECONNREFUSED'),
      systemError('ECONNRESET'),
      new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'connect failed'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      databaseError('57P01'),
      databaseError('08006'),
      databaseError('53300'),
    ];
    expect(outages.map((error) => classifyError(error)?.kind)).toEqual(outages.map(() => 'outage'));
  });

  it('names a refusal after the constraint that refused the row', () => {
    const refusals = [
      databaseError('23514', { constraint: 'coupons_seq_within_stock' }),
      databaseError('23514', { constraint: 'coupons_slot_within_limit' }),
      databaseError('23505', { constraint: 'coupons_one_per_ticket' }),
      databaseError('23505', { constraint: 'coupons_one_per_user_slot' }),
      databaseError('23502', { column: 'event_stock' }),
      databaseError('23503', { constraint: 'coupons_event_terms' }),
      databaseError('23514', { constraint: 'refuses_mallory' }),
    ];
    expect(refusals.map((error) => classifyError(error))).toEqual(
      ['beyond_stock', 'beyond_limit', 'ticket_taken', 'slot_taken', 'unknown_event', 'unknown_event', 'refused'].map(
        (cause) => ({
          kind: 'refusal',
          cause,
          detail: expect.stringMatching(/^error 23/),
        }),
      ),
    );
  });

  it('calls any other database error a failure, and leaves errors that are not the database’s alone', () => {
    expect(classifyError(databaseError('42P01'))).toEqual({ kind: 'failure' });
    expect(classifyError(new TypeError('x is not a function'))).toBeUndefined();
    expect(classifyError('a string')).toBeUndefined();
  });
});
