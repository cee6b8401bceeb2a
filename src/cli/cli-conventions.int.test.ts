import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, repoRoot } from '../../test/fixtures/basics.ts';
import { adminDatabaseUrl, dropTestDatabase, testDatabaseUrl } from '../../test/fixtures/databases.ts';
import { commands } from './command-list.ts';
import { exitCodes, usage } from './main.ts';

/** Runs `firstcome <args>` in `cwd` with only `env` (and PATH), as an operator would; stdout and stderr apart. */
function firstcome(args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/firstcome.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** Every command line the CLI knows, from the one command list: each command, and each of its actions. */
const commandLines = await Promise.all(
  Object.entries(commands).map(async ([name, entry]) => {
    const command = await entry.load();
    return [[name], ...(command.actions ?? []).map((action) => [name, action])].map((line) => ({
      line,
      usage: command.usage,
    }));
  }),
).then((lines) => lines.flat());

/** A TCP port that counts connections: every datastore and the admin API point at it, so any touch shows. */
const trap = createServer((socket) => {
  trap.touches += 1;
  socket.destroy();
}) as ReturnType<typeof createServer> & { touches: number };
trap.touches = 0;
let trapEnv: Record<string, string>;
let cwd: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const { port } = trap.address() as { port: number };
  trapEnv = {
    DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/firstcome`,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    FIRSTCOME_URL: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN: 'not-used-by-these-commands',
    PORT: String(port),
  };
  // A directory of its own: no developer's .env, and nowhere a command could leave files unnoticed.
  cwd = await mkdtemp(join(tmpdir(), 'firstcome-cli-'));
});

afterAll(async () => {
  await new Promise((resolve) => trap.close(resolve));
  await rm(cwd, { recursive: true, force: true });
});

// Each case spawns a process: they run side by side.
describe.concurrent('firstcome --help', () => {
  // -h takes the same path as --help: once per command is enough.
  const helpRuns = commandLines.flatMap(({ line, usage }) =>
    [['--help'], ...(line.length === 1 ? [['-h']] : [])].map((flag) => ({ args: [...line, ...flag], usage })),
  );
  it.each(helpRuns)('$args: the usage on stdout, exit 0, no datastore touched', async ({ args, usage }) => {
    const { code, stdout, stderr } = await firstcome(args, trapEnv, cwd);
    expect({ code, stdout, stderr }).toEqual({ code: exitCodes.ok, stdout: usage, stderr: '' });
    expect(trap.touches).toBe(0);
  });

  it('lists every command, and `help NAME` is NAME --help', async () => {
    const top = await firstcome(['--help'], trapEnv, cwd);
    expect(top).toEqual({ code: 0, stdout: usage, stderr: '' });
    for (const name of Object.keys(commands)) expect(usage).toMatch(new RegExp(`^  ${name} `, 'm'));
    const help = await firstcome(['help', 'failed'], trapEnv, cwd);
    expect(help.stdout).toBe((await commands.failed!.load()).usage);
  });

  it('works with an invalid configuration, which only a run would read', async () => {
    const { code, stdout } = await firstcome(['worker', '--help'], { ...trapEnv, PORT: 'nope' }, cwd);
    expect(code).toBe(0);
    expect(stdout).toBe((await commands.worker!.load()).usage);
  });
});

describe.concurrent('a usage error', () => {
  it.each(commandLines)(
    '$line --no-such-flag: that usage on stderr, nothing on stdout, exit 2',
    async ({ line, usage }) => {
      const { code, stdout, stderr } = await firstcome([...line, '--no-such-flag'], trapEnv, cwd);
      expect(code).toBe(exitCodes.usage);
      expect(stdout).toBe('');
      expect(stderr).toBe(`firstcome ${line[0]}: Unknown option '--no-such-flag'\n\n${usage}`);
      expect(trap.touches).toBe(0);
    },
  );

  it.each([
    [['serve', '--workers'], "Option '--workers <value>' argument missing"],
    [['serve', '--workers', '0'], '--workers must be a whole number'],
    [['reconcile', '--grace-seconds', 'soon'], '--grace-seconds must be a whole number'],
    [['migrate', 'now'], 'unexpected argument "now"'],
    [['events', 'explode'], 'unknown action "explode"'],
  ])('%j: a missing or bad value names the flag, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await firstcome(args, trapEnv, cwd);
    expect(code).toBe(exitCodes.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain((await commands[args[0]!]!.load()).usage);
    expect(trap.touches).toBe(0);
  });

  it('an unknown command: the list of commands on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await firstcome(['frobnicate'], trapEnv, cwd);
    expect({ code, stdout }).toEqual({ code: exitCodes.usage, stdout: '' });
    expect(stderr).toBe(`firstcome: unknown command "frobnicate"\n\n${usage}`);
  });
});

describe('firstcome --version', () => {
  it("prints package.json's version", async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      expect(await firstcome([flag], trapEnv, cwd)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });
});

describe('.env', () => {
  const plan = ['plan', '--peak-claims-per-sec', '1000', '--stock', '100'];

  it('is read from the current directory when present, and the environment wins over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firstcome-env-'));
    try {
      await writeFile(join(dir, '.env'), 'LOG_LEVEL=loud\n');
      const fromFile = await firstcome(plan, trapEnv, dir);
      expect(fromFile.code).toBe(exitCodes.usage);
      expect(fromFile.stderr).toContain('LOG_LEVEL');
      const overridden = await firstcome(plan, { ...trapEnv, LOG_LEVEL: 'warn' }, dir);
      expect(overridden.code, overridden.stderr).toBe(exitCodes.ok);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('firstcome migrate --help on a fresh database', () => {
  const name = randomId('firstcome_help');
  const url = testDatabaseUrl(name);
  const tables = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );
      return Number(rows[0]?.n);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: adminDatabaseUrl() });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`).finally(() => client.end());
  });
  afterAll(async () => dropTestDatabase(name));

  it('leaves it without tables, where `migrate` makes them', async () => {
    const env = { ...trapEnv, DATABASE_URL: url };
    expect((await firstcome(['migrate', '--help'], env, cwd)).code).toBe(0);
    expect(await tables()).toBe(0);
    const migrated = await firstcome(['migrate'], env, cwd);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(await tables()).toBeGreaterThan(0);
  });
});

// CONTRACT.md: every process that needs the database creates its schema on start, one-shot commands too.
describe.each(['retry', 'reconcile'])('firstcome %s on a fresh database', (command) => {
  const name = randomId(`firstcome_${command}`);
  const url = testDatabaseUrl(name);

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: adminDatabaseUrl() });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`).finally(() => client.end());
  });
  afterAll(async () => dropTestDatabase(name));

  it('creates the schema, then does its work', async () => {
    const env = { ...trapEnv, DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379' };
    const ran = await firstcome([command], env, cwd);
    expect(ran.code, ran.stderr).toBe(exitCodes.ok);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('events', 'coupons', 'failed_claims')",
      );
      expect(Number(rows[0]?.n)).toBe(3);
    } finally {
      await client.end();
    }
  });
});
