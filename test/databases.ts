import pg from 'pg';

/** Where tests find PostgreSQL: TEST_DATABASE_SERVER (a URL without a database name) or the contract's default. */
const server = () => new URL(process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/');

const withDatabase = (name: string) => {
  const url = server();
  url.pathname = `/${name}`;
  return url.toString();
};

export const adminDatabaseUrl = () => withDatabase('postgres');
export const testDatabaseUrl = (name: string) => withDatabase(name);

/** Runs one statement on the server's `postgres` database: test databases come and go through here. */
async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A database cloned from `template` (global-setup.ts migrates one per run): much faster than migrating. */
export const cloneDatabase = (name: string, template: string) =>
  adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);

export const dropTestDatabase = (name: string) => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
