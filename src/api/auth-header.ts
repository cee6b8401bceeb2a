import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors.ts';
import { isSameSecret } from './auth-secret.ts';

/** What trusted-header mode reads of a request: a FastifyRequest is one. */
export interface AuthRequest {
  headers: IncomingHttpHeaders;
  raw: { rawHeaders: string[] };
  socket: { remoteAddress?: string | undefined };
}

export interface ProxyTrustOptions {
  /** Addresses and CIDRs (IPv4 or IPv6) whose identity header is believed. @defaultValue loopback */
  trustedProxies?: readonly string[] | undefined;
  /** When set, the identity header is believed only beside `X-Proxy-Secret: <this>`, from any peer. */
  proxySecret?: string | undefined;
}

export const defaultTrustedProxies = ['127.0.0.0/8', '::1'] as const;
export const proxySecretHeader = 'x-proxy-secret';

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** A BlockList of the entries; throws on an entry that is neither an address nor a CIDR (config checks first). */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.trim().split('/');
    if (!isIP(address) || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new Error(`${entry} is not an IP address or CIDR`);
    }
    if (prefix === undefined) list.addAddress(address, familyOf(address));
    else list.addSubnet(address, Number(prefix), familyOf(address));
  }
  return list;
}

// A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; a rule written for a.b.c.d must match it.
const ipv4Mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Whether the address is in the list, an IPv4-mapped IPv6 address matching its IPv4 entries. */
export const isListed = (list: BlockList, address: string | undefined): boolean => {
  if (!address || !isIP(address)) return false;
  if (list.check(address, familyOf(address))) return true;
  const mapped = ipv4Mapped.exec(address)?.[1];
  return mapped !== undefined && list.check(mapped, 'ipv4');
};

/**
 * Whether a request comes from the authenticating gateway. With a proxy secret, the secret alone decides
 * (a gateway behind a load balancer has no fixed address); without one, the peer's address does.
 */
export function createProxyTrust(options: ProxyTrustOptions): (request: AuthRequest) => boolean {
  const { proxySecret } = options;
  if (proxySecret !== undefined) {
    return (request) => {
      const presented = request.headers[proxySecretHeader];
      return typeof presented === 'string' && isSameSecret(presented, proxySecret);
    };
  }
  const trusted = parseTrustedProxies(options.trustedProxies ?? defaultTrustedProxies);
  // A connection's peer never changes, and a keep-alive connection carries thousands of claims: the
  // look-up (isIP, a call into the BlockList's C++ and a regex) is paid once per connection, not per claim.
  const verdictOfSocket = new WeakMap<AuthRequest['socket'], boolean>();
  return (request) => {
    const { socket } = request;
    const known = verdictOfSocket.get(socket);
    if (known !== undefined) return known;
    const address = socket.remoteAddress;
    const isTrusted = isListed(trusted, address);
    // A closed socket has no address to judge, and must not decide for a later look.
    if (address !== undefined) verdictOfSocket.set(socket, isTrusted);
    return isTrusted;
  };
}

/**
 * The identity header's one value; undefined when it is absent. Node joins a repeated header into one
 * "a, b" string in `headers`, so repetitions are counted in the raw list.
 */
export function readIdentityHeader(request: AuthRequest, name: string): string | undefined {
  const raw = request.raw.rawHeaders;
  let count = 0;
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i];
    // Names of another length cannot match, so only a same-length name is lower-cased: lower-casing
    // every name made a new string per header on every claim.
    if (field?.length !== name.length || (field !== name && field.toLowerCase() !== name)) continue;
    count += 1;
    value ??= raw[i + 1] ?? '';
  }
  if (count > 1) {
    throw new AppError('INVALID_REQUEST', `${name}: must be sent once, not ${count} times`);
  }
  return value;
}
