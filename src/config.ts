import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from './errors.ts';

const wholeNumber = (what: string) => z.coerce.number({ error: `must be ${what}` }).int({ error: `must be ${what}` });
const port = wholeNumber('a port number from 0 to 65535').min(0).max(65535);
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

/** The most API processes `serve --workers N` (API_WORKERS) starts. */
export const maxApiWorkers = 256;
const apiWorkersRange = `a whole number from 1 to ${maxApiWorkers}`;

const Env = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    REDIS_URL: urlWithScheme(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    REDIS_CLUSTER_NODES: list.pipe(z.array(hostPort)).optional(),
    // For the default user, when REDIS_URL carries no credentials; every cluster node gets it too.
    REDIS_PASSWORD: z.string().min(1).optional(),
    // A 202 only once this many replicas hold the admission: a failover then loses no answered claim.
    // TLS to Redis: on for a rediss:// REDIS_URL; REDIS_TLS=true turns it on for REDIS_CLUSTER_NODES too.
    REDIS_TLS: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
    // A PEM file of the CA that signed Redis's certificate, when it is not one Node trusts already.
    REDIS_TLS_CA_FILE: z
      .string()
      .min(1)
      .transform((path, ctx) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as Error).message}` });
          return z.NEVER;
        }
      })
      .optional(),
    REDIS_WAIT_REPLICAS: wholeNumber('a whole number from 0 to 5').min(0).max(5).default(0),
    REDIS_WAIT_TIMEOUT_MS: positiveInt.max(10_000).default(100),
    KAFKA_BROKERS: list.pipe(z.array(hostPort)).default(['127.0.0.1:9092']),
    KAFKA_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name')
      .default('firstcome.claims'),
    KAFKA_PARTITIONS: positiveInt.max(1000).default(8),
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
    // trusted-header mode believes the identity header only from these peers (or, with the secret, from
    // requests that carry it in X-Proxy-Secret).
    TRUSTED_PROXIES: list.pipe(z.array(ipOrCidr)).default(['127.0.0.0/8', '::1']),
    TRUSTED_PROXY_SECRET: z
      .string()
      .min(16, 'must be at least 16 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters (it travels in a header)')
      .optional(),
    RATE_LIMIT_PER_SEC: positiveInt.optional(),
    // API processes of `firstcome serve` on one port; unset, one per CPU. `start` runs one process.
    API_WORKERS: wholeNumber(apiWorkersRange)
      .min(1, { error: `must be ${apiWorkersRange}` })
      .max(maxApiWorkers, { error: `must be ${apiWorkersRange}` })
      .optional(),
    WORKER_BATCH_SIZE: positiveInt.max(50_000).default(5000),
    WORKER_FLUSH_INTERVAL_MS: positiveInt.max(60_000).default(50),
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
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // `production` keeps logs JSON on a terminal too; it turns on no security check (see jwksUrl).
    NODE_ENV: z.string().optional(),
    // Where the operator CLI (`firstcome events ...`) finds the API; unset, it is http://HOST:PORT.
    FIRSTCOME_URL: urlWithScheme(['http:', 'https:']).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET && env.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET or JWT_JWKS_URL, not both' });
    }
  });

export type Config = z.infer<typeof Env>;

/** Parses the environment once; every problem is one line naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = Env.safeParse(present);
  if (parsed.success) return Object.freeze(parsed.data);
  const problems = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  throw new AppError('CONFIG_INVALID', [...new Set(problems)].join('\n'));
}
