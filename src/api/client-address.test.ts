import { describe, expect, it } from 'vitest';
import { bucketOfAddress, createClientAddress } from './client-address.ts';

const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({
  headers,
  raw: { rawHeaders: [] },
  socket: { remoteAddress },
});

describe('createClientAddress', () => {
  const clientOf = createClientAddress({ trustedProxies: ['127.0.0.0/8', '10.0.0.0/8'] });

  it('takes the peer when it is no trusted proxy, whatever X-Forwarded-For claims', () => {
    expect(clientOf(request('198.51.100.7', { 'x-forwarded-for': '203.0.113.5' }))).toBe('198.51.100.7');
  });

  it('walks X-Forwarded-For from the right through trusted proxies to the first address that is not one', () => {
    const forwarded = { 'x-forwarded-for': '192.0.2.1, 203.0.113.5, 10.1.2.3' };
    expect(clientOf(request('127.0.0.1', forwarded))).toBe('203.0.113.5');
    expect(clientOf(request('127.0.0.1', { 'x-forwarded-for': '10.1.2.3' }))).toBe('10.1.2.3');
    expect(clientOf(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('stops at the proxy that passed on an entry that is no address', () => {
    expect(clientOf(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.5, not-an-ip' }))).toBe('127.0.0.1');
  });

  it('with a proxy secret, believes X-Forwarded-For from any peer that presents it, and only then', () => {
    const withSecret = createClientAddress({ proxySecret: 'the-gateways-secret-0123' });
    const forwarded = { 'x-forwarded-for': '203.0.113.5' };
    expect(withSecret(request('198.51.100.7', { ...forwarded, 'x-proxy-secret': 'the-gateways-secret-0123' }))).toBe(
      '203.0.113.5',
    );
    expect(withSecret(request('198.51.100.7', { ...forwarded, 'x-proxy-secret': 'a-guess' }))).toBe('198.51.100.7');
  });
});

describe('bucketOfAddress', () => {
  it('keys IPv4 by the address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(bucketOfAddress('203.0.113.5')).toBe('203.0.113.5');
    expect(bucketOfAddress('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(bucketOfAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(bucketOfAddress('2001:0DB8:0001:0002::ffff')).toBe('2001:db8:1:2::/64');
    expect(bucketOfAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(bucketOfAddress('::1')).toBe('0:0:0:0::/64');
  });
});
