import mysql from 'mysql2/promise';
import pg from 'pg';

/** The URL of database `name` on the same server as `serverUrl`. */
export function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const isMysql = (serverUrl: string) => new URL(serverUrl).protocol === 'mysql:';

/** Runs `text` on the server, outside the databases it makes and drops: `postgres` there, none on MySQL. */
async function onAdminDatabase(serverUrl: string, text: string): Promise<void> {
  if (isMysql(serverUrl)) {
    const connection = await mysql.createConnection({ uri: databaseUrlFor(serverUrl, ''), connectTimeout: 5000 });
    try {
      await connection.query(text);
    } finally {
      await connection.end();
    }
    return;
  }
  const client = new pg.Client({
    connectionString: databaseUrlFor(serverUrl, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one design; `name` is made by the bench ([a-z0-9_] only). */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`scratch database name "${name}" must be [a-z0-9_]`);
  await onAdminDatabase(serverUrl, `CREATE DATABASE ${name}`);
  return databaseUrlFor(serverUrl, name);
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) return;
  await onAdminDatabase(
    serverUrl,
    isMysql(serverUrl) ? `DROP DATABASE IF EXISTS ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
  );
}
