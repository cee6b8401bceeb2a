import type { ClaimStatements } from './contestant-sql.ts';

/** A pooled connection as pg and mysql2 both hand one out: enough to run a transaction on it. */
interface PooledConnection {
  query(text: string): Promise<unknown>;
  release(): void;
}

/** `work` in one transaction on `connection`: COMMIT when it returns, ROLLBACK when it throws; then released. */
export async function runTransaction<C extends PooledConnection, T>(
  connection: C,
  statementsOn: (connection: C) => ClaimStatements,
  work: (statements: ClaimStatements) => Promise<T>,
): Promise<T> {
  try {
    await connection.query('BEGIN');
    const result = await work(statementsOn(connection));
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}
