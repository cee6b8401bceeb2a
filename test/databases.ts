/** Where tests find PostgreSQL: TEST_DATABASE_SERVER (a URL without a database name) or the contract's default. */
const server = () => new URL(process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/');

const withDatabase = (name: string) => {
  const url = server();
  url.pathname = `/${name}`;
  return url.toString();
};

export const adminDatabaseUrl = () => withDatabase('postgres');
export const testDatabaseUrl = (name: string) => withDatabase(name);
