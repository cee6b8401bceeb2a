import { join } from 'node:path';
import type { Dialect } from '../dialect.ts';
import { closeEvent } from './close-event.ts';
import { connect, ensureDatabaseExists } from './connection.ts';
import { classifyError } from './errors.ts';
import { insertCouponBatch } from './insert-coupon-batch.ts';
import { insertEvent } from './insert-event.ts';
import { leaseDueFailedClaims } from './lease-due-failed-claims.ts';
import { makeFailedClaimsDue } from './make-failed-claims-due.ts';
import { recordFailedClaims } from './record-failed-claims.ts';
import { recordRetryOutcomes } from './record-retry-outcomes.ts';
import { lockUnsettledDeadClaims, recordSettledTickets } from './settle-dead-claims.ts';

/** MySQL 8.0.16+ and MariaDB 10.11+, for mysql:// URLs. */
export const mysqlDialect: Dialect = {
  product: 'MySQL',
  migrationsDir: join(import.meta.dirname, 'migrations'),
  connect,
  ensureDatabaseExists,
  classifyError,
  // InnoDB's repeatable read takes its snapshot at the first read and keeps it to the end.
  readSnapshot: (db, read) => db.transaction().setIsolationLevel('repeatable read').execute(read),
  insertEvent,
  closeEvent,
  insertCouponBatch,
  recordFailedClaims,
  leaseDueFailedClaims,
  recordRetryOutcomes,
  lockUnsettledDeadClaims,
  recordSettledTickets,
  makeFailedClaimsDue,
};
