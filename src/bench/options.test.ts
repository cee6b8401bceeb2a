import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import { benchDatabaseServer, localDatabaseServers, parseBenchArgs } from './options.ts';

const known = ['ceiling', 'db-lock', 'firstcome', 'db-lock-no-lock'];
const defaults = ['ceiling', 'db-lock', 'firstcome'];
const parse = (argv: string[]) => parseBenchArgs(argv, known, defaults);
/** What parsing `argv` throws. */
const refusalOf = (argv: string[]): unknown => {
  try {
    parse(argv);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('parseBenchArgs', () => {
  it('defaults to the issue’s spike', () => {
    expect(parse([])).toMatchObject({
      users: 100_000,
      attempts: 3,
      stock: 10_000,
      perUserLimit: 1,
      connections: 256,
      designs: defaults,
      rounds: 1,
      out: 'bench-results',
      json: undefined,
    });
  });

  it('makes --quick smaller, and lets explicit flags win over it', () => {
    expect(parse(['--quick'])).toMatchObject({ users: 20_000, stock: 2_000, maxSeconds: 10, quick: true });
    expect(parse(['--quick', '--users', '500', '--designs', 'db-lock,db-lock-no-lock'])).toMatchObject({
      users: 500,
      stock: 2_000,
      designs: ['db-lock', 'db-lock-no-lock'],
    });
  });

  it('gives every design one API process unless --workers says how many', () => {
    expect(parse([]).workers).toBe(1);
    expect(parse(['--workers', '2']).workers).toBe(2);
  });

  it.each([
    [['--workers', '0']],
    [['--workers', '257']],
    [['--designs', 'nope']],
    [['--designs', 'db-lock,db-lock']],
    [['--users', '0']],
    [['--stock', '1.5']],
    [['--frobnicate']],
    [['extra']],
  ])('refuses %j with a one-line CONFIG_INVALID', (argv) => {
    expect(isAppError(refusalOf(argv), 'CONFIG_INVALID')).toBe(true);
  });
});

describe('--redis and --shards', () => {
  it('default to a single Redis and firstcome’s auto shards', () => {
    expect(parse([])).toMatchObject({ redis: 'single', shards: 'auto' });
  });

  it('take the cluster and a shard count', () => {
    expect(parse(['--redis', 'cluster', '--shards', '3'])).toMatchObject({ redis: 'cluster', shards: 3 });
    expect(parse(['--shards', 'auto']).shards).toBe('auto');
  });

  it.each([[['--redis', 'sentinel']], [['--shards', '0']], [['--shards', '257']], [['--shards', 'many']]])(
    'refuses %j',
    (argv) => {
      expect(() => parse(argv)).toThrow(/--redis|--shards/);
    },
  );
});

describe('--db and --database-url', () => {
  const pgUrl = 'postgres://postgres@127.0.0.1:5432/firstcome';
  const myUrl = 'mysql://me:secret@db.example:3306/shop';
  const serverOf = (configUrl: string, argv: string[]) => benchDatabaseServer(configUrl, parse(argv));

  it('default to DATABASE_URL and its kind', () => {
    expect(serverOf(pgUrl, [])).toEqual({ kind: 'postgres', url: pgUrl });
    expect(serverOf(myUrl, [])).toEqual({ kind: 'mysql', url: myUrl });
  });

  it('take the other kind from --database-url, else from this machine’s server of that kind', () => {
    expect(serverOf(pgUrl, ['--db', 'mysql', '--database-url', myUrl])).toEqual({ kind: 'mysql', url: myUrl });
    expect(serverOf(pgUrl, ['--database-url', myUrl])).toEqual({ kind: 'mysql', url: myUrl });
    expect(serverOf(pgUrl, ['--db', 'mysql'])).toEqual({ kind: 'mysql', url: localDatabaseServers.mysql });
    expect(serverOf(myUrl, ['--db', 'postgres'])).toEqual({ kind: 'postgres', url: localDatabaseServers.postgres });
    expect(serverOf(pgUrl, ['--db', 'postgres'])).toEqual({ kind: 'postgres', url: pgUrl });
  });

  it.each([
    [['--db', 'oracle'], /--db: postgres or mysql, got "oracle"/],
    [['--database-url', 'redis://127.0.0.1:6379'], /--database-url: a postgres:\/\/ or mysql:\/\/ URL/],
    [['--database-url', 'not a url'], /--database-url/],
    [['--db', 'postgres', '--database-url', myUrl], /--database-url: a postgres server for --db postgres/],
  ])('refuses %j with a CONFIG_INVALID naming the flag', (argv, message) => {
    const refusal = refusalOf(argv);
    expect(isAppError(refusal, 'CONFIG_INVALID')).toBe(true);
    expect(String((refusal as Error).message)).toMatch(message);
  });
});
