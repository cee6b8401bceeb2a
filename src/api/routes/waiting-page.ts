import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { EVENT_ID_PATTERN } from '../../claim.ts';
import { builtPageHeaders, notBuilt } from './built-page.ts';

export interface WaitingPageRouteDeps {
  /** The built waiting page (`npm run build:dashboard`). @defaultValue waiting-page/dist of this checkout */
  waitingPageDir?: string | undefined;
}

export const defaultWaitingPageDir = join(import.meta.dirname, '../../../waiting-page/dist');

// The page holds the shopper's bearer token: it may load nothing from elsewhere and be framed by nobody.
const pageHeaders = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const pageParams = {
  params: { type: 'object', properties: { id: { type: 'string', pattern: EVENT_ID_PATTERN } }, required: ['id'] },
} as const;

/**
 * The shoppers' waiting page of an event, `/wait/:id`: one page for every event (it reads the id from its
 * address), and its assets. A public route, not an operator's: with ADMIN_PORT it answers on the public
 * port (admin-listener.ts leaves /wait alone).
 */
export function registerWaitingPageRoutes(app: FastifyInstance, deps: WaitingPageRouteDeps): void {
  const dir = deps.waitingPageDir ?? defaultWaitingPageDir;
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/wait/:id', { schema: { hide: true, ...pageParams } }, notBuilt('waiting page'));
    return;
  }
  // In a plugin of its own: sendFile is decorated here only, the dashboard's static files stay undecorated.
  app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/wait/assets/',
      index: false,
      setHeaders: builtPageHeaders(pageHeaders),
      cacheControl: false,
    });
    scope.get('/wait/:id', { schema: { hide: true, ...pageParams } }, async (_request, reply) =>
      reply.sendFile('index.html', dir),
    );
  });
}
