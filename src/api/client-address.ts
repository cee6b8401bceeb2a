import { isIP } from 'node:net';
import {
  type AuthRequest,
  defaultTrustedProxies,
  isListed,
  parseTrustedProxies,
  type ProxyTrustOptions,
  proxySecretHeader,
} from './auth-header.ts';
import { isSameSecret } from './auth-secret.ts';

const ipv4Mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The address a client's rate bucket is keyed by: an IPv4 address as it is, an IPv6 address by its /64,
 * the block one subscriber usually holds whole (keying by the full address would give them 2^64 buckets).
 */
export function bucketOfAddress(address: string): string {
  const mapped = ipv4Mapped.exec(address)?.[1];
  if (mapped) return mapped;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  // An embedded IPv4 tail (::ffff:... was handled above) counts as two groups; only the first four matter.
  const left = groupsOf(head);
  const right = groupsOf(tail);
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group: string) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Who sent a request, for per-address limits. The peer is the client unless it is a proxy firstcome
 * trusts (TRUSTED_PROXIES, or any peer presenting TRUSTED_PROXY_SECRET, as trusted-header mode does); then
 * X-Forwarded-For is read from its right end, each trusted proxy having appended the address it heard
 * from, until an address that is not a trusted proxy's: that is the client. Entries further left are the
 * client's own say and are never believed. An entry that is no IP address ends the walk at the proxy
 * that passed it on.
 */
export function createClientAddress(options: ProxyTrustOptions): (request: AuthRequest) => string {
  const trusted = parseTrustedProxies(options.trustedProxies ?? defaultTrustedProxies);
  const { proxySecret } = options;
  const hasProxySecret = (request: AuthRequest) => {
    const presented = request.headers[proxySecretHeader];
    return proxySecret !== undefined && typeof presented === 'string' && isSameSecret(presented, proxySecret);
  };
  return (request) => {
    const peer = request.socket.remoteAddress ?? '';
    if (!isListed(trusted, peer) && !hasProxySecret(request)) return peer;
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    let client = peer;
    for (const hop of hops.reverse()) {
      if (!isIP(hop)) break;
      client = hop;
      if (!isListed(trusted, hop)) break;
    }
    return client;
  };
}
