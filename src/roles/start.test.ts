import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuth } from '../api/auth.ts';
import { loadConfig } from '../config.ts';
import { authOptionsOf } from './serve-api.ts';
import { devTokenFor } from './start.ts';

describe('the dev token firstcome start prints', () => {
  it('has an exp and is accepted by the API it was printed for, with the default configuration', async () => {
    const config = { ...loadConfig({}), JWT_SECRET: 'a-generated-dev-secret-0123456789abcdef' };
    const token = await devTokenFor('alice', config.JWT_SECRET, config.JWT_MAX_LIFETIME_SECONDS);
    const { exp, iat } = decodeJwt(token);
    expect(exp! - iat!).toBe(config.JWT_MAX_LIFETIME_SECONDS);
    const auth = createAuth(authOptionsOf(config));
    const request = { headers: { authorization: `Bearer ${token}` }, raw: { rawHeaders: [] }, socket: {} };
    await expect(auth.userOf(request)).resolves.toBe('alice');
  });
});
