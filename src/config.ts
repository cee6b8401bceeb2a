import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseAdmissionKeys } from './admission-keys.ts';
import { AppError } from './errors.ts';

const wholeNumber = (what: string) => z.coerce.number({ error: `must be ${what}` }).int({ error: `must be ${what}` });
const port = wholeNumber('a port number from 0 to 65535').min(0).max(65535);
const fixedPort = wholeNumber('a port number from 1 to 65535').min(1).max(65535);
const positiveInt = wholeNumber('a whole number above 0').positive();
const list = z
  .string()
  .transform((s) => s.split(',').map((part) => part.trim()))
  .pipe(z.array(z.string().min(1, 'must not contain empty entries')).min(1));
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each entry must be host:port');
const urlWithScheme = (schemes: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`,
  );

const ipOrCidr = z.string().refine((entry) => {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}, 'each entry must be an IP address or a CIDR (10.0.0.0/8, fd00::/8)');

/** A file named by the variable, read now so a missing or unreadable file stops the start, not a later connect. */
const fileContents = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as Error).message}` });
      return z.NEVER;
    }
  });
const pemFile = (what: string) =>
  fileContents.refine(
    (text) => text.includes('-----BEGIN '),
    `must name a PEM file (${what}): no -----BEGIN line in it`,
  );
/** An ADMISSION_KEYS value (admission-keys.ts), checked key by key; the message never repeats the secret. */
const admissionKeys = z.string().transform((text, ctx) => {
  try {
    return parseAdmissionKeys(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const trueOrFalse = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((flag) => flag === 'true');

/** The SASL mechanisms firstcome speaks to Kafka, as Kafka spells them (the variable takes any case). */
export const kafkaSaslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

const isLoopbackHost = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || (isIP(hostname) === 4 && hostname.startsWith('127.'));

/**
 * Whoever can change the key set in transit can sign in as anyone, so keys come over https. Plain http
 * is allowed to a loopback host only (a local identity provider or sidecar: the keys never leave the
 * machine). NODE_ENV is deliberately not consulted: it is often unset or wrong in production images, and
 * a forgotten variable must not be what opens this hole.
 */
const jwksUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}, 'must be an https:// URL (http:// only to a loopback host: localhost, 127.0.0.0/8, [::1])');

/** Where the admin listener binds when ADMIN_PORT is set and ADMIN_HOST is not. */
export const defaultAdminHost = '127.0.0.1';

/** The most API processes `serve --workers N` (API_WORKERS) starts. */
export const maxApiWorkers = 256;
const apiWorkersRange = `a whole number from 1 to ${maxApiWorkers}`;

const powCostRange = 'a whole number from 0 (off) to 100000000';

const Env = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    // When set, /admin, /dashboard, /docs and /metrics answer only here, and no longer on PORT.
    ADMIN_PORT: fixedPort.optional(),
    // Loopback unless told otherwise: the admin listener is for operators, never for the internet.
    ADMIN_HOST: z.string().min(1).optional(),
    REDIS_URL: urlWithScheme(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    REDIS_CLUSTER_NODES: list.pipe(z.array(hostPort)).optional(),
    // For the default user, when REDIS_URL carries no credentials; every cluster node gets it too.
    REDIS_PASSWORD: z.string().min(1).optional(),
    // An ACL user (Redis 6+) that REDIS_PASSWORD belongs to; unset, the password is the default user's.
    REDIS_USERNAME: z.string().min(1).optional(),
    // A 202 only once this many replicas hold the admission: a failover then loses no answered claim.
    // TLS to Redis: on for a rediss:// REDIS_URL; REDIS_TLS=true turns it on for REDIS_CLUSTER_NODES too.
    REDIS_TLS: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
    // A PEM file of the CA that signed Redis's certificate, when it is not one Node trusts already.
    REDIS_TLS_CA_FILE: fileContents.optional(),
    REDIS_WAIT_REPLICAS: wholeNumber('a whole number from 0 to 5').min(0).max(5).default(0),
    REDIS_WAIT_TIMEOUT_MS: positiveInt.max(10_000).default(100),
    KAFKA_BROKERS: list.pipe(z.array(hostPort)).default(['127.0.0.1:9092']),
    KAFKA_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name')
      .default('firstcome.claims'),
    KAFKA_PARTITIONS: positiveInt.max(1000).default(8),
    // Replicas of a topic firstcome creates; unset, the brokers' default.replication.factor.
    KAFKA_REPLICATION_FACTOR: positiveInt.max(32).optional(),
    // Replicas that must hold a record before the relay's send counts; unset, KAFKA_REPLICATION_FACTOR − 1
    // (at least 1) when that is set, else the brokers' default.
    KAFKA_MIN_INSYNC_REPLICAS: positiveInt.max(32).optional(),
    // TLS to every broker; the files (PEM) are read at start.
    KAFKA_SSL: trueOrFalse.default(false),
    KAFKA_SSL_CA_FILE: pemFile('a CA certificate').optional(),
    KAFKA_SSL_CERT_FILE: pemFile('a client certificate').optional(),
    KAFKA_SSL_KEY_FILE: pemFile("the client certificate's private key").optional(),
    KAFKA_SASL_MECHANISM: z
      .string()
      .transform((name) => name.toUpperCase())
      .pipe(z.enum(kafkaSaslMechanisms, { error: 'must be plain, scram-sha-256 or scram-sha-512' }))
      .optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    // The password's file (a mounted secret); one trailing newline is not part of it.
    KAFKA_SASL_PASSWORD_FILE: fileContents
      .transform((text) => text.replace(/\r?\n$/, ''))
      .pipe(z.string().min(1, 'names an empty file'))
      .optional(),
    DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:', 'mysql:']).default(
      'postgres://postgres@127.0.0.1:5432/firstcome',
    ),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    AUTH_MODE: z.enum(['jwt', 'trusted-header']).default('jwt'),
    USER_ID_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
      .transform((s) => s.toLowerCase())
      .default('x-user-id'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256)').optional(),
    JWT_JWKS_URL: jwksUrl.optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    // The longest a token may live (exp − iat): a leaked long-lived token is a long-lived account takeover.
    JWT_MAX_LIFETIME_SECONDS: positiveInt.default(86_400),
    // The keys that sign queued events' admission tokens (ES256): the first signs, every one verifies.
    // Every API process must have the same ones, so a token from one is good on all.
    ADMISSION_KEYS: admissionKeys.optional(),
    ADMISSION_KEYS_FILE: fileContents.pipe(admissionKeys).optional(),
    // trusted-header mode believes the identity header only from these peers (or, with the secret, from
    // requests that carry it in X-Proxy-Secret).
    TRUSTED_PROXIES: list.pipe(z.array(ipOrCidr)).default(['127.0.0.0/8', '::1']),
    TRUSTED_PROXY_SECRET: z
      .string()
      .min(16, 'must be at least 16 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters (it travels in a header)')
      .optional(),
    RATE_LIMIT_PER_SEC: positiveInt.optional(),
    // Requests per second on each of join, poll and claim, per user and per client address (behind
    // TRUSTED_PROXIES, the address they forwarded), counted in Redis for every API process; unset, none.
    QUEUE_RATE_LIMIT_USER_PER_SEC: positiveInt.max(1_000_000).optional(),
    QUEUE_RATE_LIMIT_IP_PER_SEC: positiveInt.max(1_000_000).optional(),
    // ALTCHA proof of work on joining a queue: its maxnumber (a client tries half as many SHA-256 hashes
    // on average); 0 or unset, none. ALTCHA_HMAC_KEY signs the challenges (`firstcome start` makes one in dev).
    QUEUE_POW_COST: wholeNumber(powCostRange)
      .min(0, { error: `must be ${powCostRange}` })
      .max(100_000_000, { error: `must be ${powCostRange}` })
      .default(0),
    ALTCHA_HMAC_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    // API processes of `firstcome serve` on one port; unset, one per CPU. `start` runs one process.
    API_WORKERS: wholeNumber(apiWorkersRange)
      .min(1, { error: `must be ${apiWorkersRange}` })
      .max(maxApiWorkers, { error: `must be ${apiWorkersRange}` })
      .optional(),
    WORKER_BATCH_SIZE: positiveInt.max(50_000).default(5000),
    WORKER_FLUSH_INTERVAL_MS: positiveInt.max(60_000).default(50),
    // Batches the worker writes at once, each on its own database connection: two keep the database busy
    // while the other write's round trip, commit and the next batch's fetch go on (docs/benchmarks.md).
    WORKER_WRITES_IN_FLIGHT: positiveInt.max(8).default(2),
    DB_MAX_WRITES_PER_SEC: wholeNumber('a whole number (0 for no cap)').min(0).default(0),
    RELAY_BATCH_SIZE: positiveInt.max(50_000).default(1000),
    // How long an outbox entry stays with a relay that read it and never acknowledged it, before
    // another relay takes it over; longer than any Kafka send, or live relays resend each other's work.
    RELAY_CLAIM_IDLE_MS: positiveInt.min(100).default(30_000),
    RETRY_INTERVAL_MS: positiveInt.default(5000),
    RETRY_MAX_ATTEMPTS: positiveInt.max(100).default(8),
    RECONCILE_INTERVAL_MS: wholeNumber('a whole number of ms (0 turns it off)').min(0).default(60_000),
    // `relay` and `worker` answer /metrics on this port when set (they have no API).
    METRICS_PORT: port.optional(),
    // Their /healthz answers 503 once their loop has gone this long without finishing a turn.
    LOOP_STALL_MS: positiveInt.min(100).default(30_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // `production` keeps logs JSON on a terminal too, and turns on warnings about settings that lose data
    // when a machine fails (a claims topic of one replica, a Redis that keeps nothing on disk); it turns on
    // no security check (see jwksUrl).
    NODE_ENV: z.string().optional(),
    // Where the operator CLI (`firstcome events ...`) finds the API; unset, it is http://HOST:PORT.
    FIRSTCOME_URL: urlWithScheme(['http:', 'https:']).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET && env.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET or JWT_JWKS_URL, not both' });
    }
    if (env.ADMISSION_KEYS && env.ADMISSION_KEYS_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMISSION_KEYS'],
        message: 'set ADMISSION_KEYS or ADMISSION_KEYS_FILE, not both',
      });
    }
    if (env.ADMIN_PORT !== undefined && env.ADMIN_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PORT'], message: `must differ from PORT (${env.PORT})` });
    }
    if (env.ADMIN_HOST !== undefined && env.ADMIN_PORT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_HOST'],
        message: 'needs ADMIN_PORT (the admin routes are on PORT)',
      });
    }
    if (env.REDIS_USERNAME !== undefined && env.REDIS_PASSWORD === undefined) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_USERNAME'], message: 'needs REDIS_PASSWORD' });
    }
    for (const { path, message } of kafkaSecurityProblems(env)) ctx.addIssue({ code: 'custom', path: [path], message });
  })
  // From here on ADMISSION_KEYS holds the keys wherever they came from.
  .transform(({ ADMISSION_KEYS_FILE: keysFromFile, ...env }) => ({
    ...env,
    ADMIN_HOST: env.ADMIN_HOST ?? defaultAdminHost,
    ADMISSION_KEYS: env.ADMISSION_KEYS ?? keysFromFile,
  }));

/** The KAFKA_SSL* and KAFKA_SASL_* settings that make no sense together, each with the variable to fix. */
function kafkaSecurityProblems(
  env: Pick<Config, Extract<keyof Config, `KAFKA_${'SSL' | 'SASL' | 'REPLICATION' | 'MIN_INSYNC'}${string}`>>,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const { KAFKA_REPLICATION_FACTOR: replicas, KAFKA_MIN_INSYNC_REPLICAS: minInsync } = env;
  if (replicas !== undefined && minInsync !== undefined && minInsync > replicas) {
    problem(
      'KAFKA_MIN_INSYNC_REPLICAS',
      `must not exceed KAFKA_REPLICATION_FACTOR (${replicas}): no send would succeed`,
    );
  }
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
    if (env[name] !== undefined && !env.KAFKA_SSL) problem(name, 'is used only with KAFKA_SSL=true');
  }
  if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined)) {
    const missing = env.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE';
    problem(missing, 'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
  }
  const hasPassword = env.KAFKA_SASL_PASSWORD !== undefined || env.KAFKA_SASL_PASSWORD_FILE !== undefined;
  if (env.KAFKA_SASL_PASSWORD !== undefined && env.KAFKA_SASL_PASSWORD_FILE !== undefined) {
    problem('KAFKA_SASL_PASSWORD', 'set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both');
  }
  if (env.KAFKA_SASL_MECHANISM === undefined) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (env[name] !== undefined) problem(name, 'needs KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512)');
    }
  } else {
    if (env.KAFKA_SASL_USERNAME === undefined) problem('KAFKA_SASL_USERNAME', 'is required by KAFKA_SASL_MECHANISM');
    if (!hasPassword) {
      problem('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE');
    }
  }
  return problems;
}

export type Config = z.infer<typeof Env>;

/** Parses the environment once; every problem is one line naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = Env.safeParse(present);
  if (parsed.success) return Object.freeze(parsed.data);
  const problems = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  throw new AppError('CONFIG_INVALID', [...new Set(problems)].join('\n'));
}
