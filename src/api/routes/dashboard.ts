import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.ts';
import type { Auth } from '../auth.ts';
import type { EventCatalog } from '../event-catalog.ts';
import type { LiveListener, LiveStream } from '../live-stream.ts';
import { builtPageHeaders, notBuilt } from './built-page.ts';

export interface DashboardRouteDeps {
  catalog: EventCatalog;
  auth: Auth;
  live: LiveStream;
  metrics: Metrics;
  /** The built dashboard (`npm run build:dashboard`). @defaultValue dashboard/dist of this checkout */
  dashboardDir?: string | undefined;
}

export const defaultDashboardDir = join(import.meta.dirname, '../../../dashboard/dist');

// The page holds the admin token: it may load nothing from elsewhere and be framed by nobody.
const pageHeaders = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

function serveDashboard(app: FastifyInstance, dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/dashboard', { schema: { hide: true } }, notBuilt('dashboard'));
    app.get('/dashboard/*', { schema: { hide: true } }, notBuilt('dashboard'));
    return;
  }
  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.register(fastifyStatic, {
    root: dir,
    prefix: '/dashboard/',
    decorateReply: false,
    setHeaders: builtPageHeaders(pageHeaders),
    cacheControl: false,
  });
}

const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx would otherwise hold the stream back in their buffers.
  'x-accel-buffering': 'no',
};

const message = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The dashboard page, and the stream of an event's figures it watches. The stream is an admin route:
 * the page sends the token in the Authorization header of a fetch(), never in a URL.
 */
export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardRouteDeps): void {
  const { catalog, auth, live, metrics } = deps;
  serveDashboard(app, deps.dashboardDir ?? defaultDashboardDir);

  const open = new Set<ServerResponse>();
  // An open stream would keep app.close() waiting forever: end them first.
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => auth.checkAdmin(request.headers));

    admin.get<{ Params: { id: string } }>(
      '/admin/stream/events/:id',
      { schema: eventParams },
      async (request, reply) => {
        // An unknown event is a plain 404, before the stream starts.
        const event = await catalog.find(request.params.id);
        reply.hijack();
        const response = reply.raw;
        response.writeHead(200, sseHeaders);
        response.write('retry: 2000\n\n');
        const send = (name: string, data: unknown) => {
          // A reader that stopped reading gets no more frames until it drains, rather than a growing buffer.
          if (!response.writableNeedDrain) response.write(message(name, data));
        };
        const listener: LiveListener = {
          history: (points) => send('history', points),
          frame: (frame) => send('figures', frame),
          trouble: (text) => send('trouble', { message: text }),
        };
        const unsubscribe = live.subscribe(event.id, listener);
        open.add(response);
        metrics.dashboardStreams.inc();
        request.log.debug({ eventId: event.id }, 'dashboard stream opened');
        response.once('close', () => {
          unsubscribe();
          open.delete(response);
          metrics.dashboardStreams.dec();
          request.log.debug({ eventId: event.id }, 'dashboard stream closed');
        });
      },
    );
  });
}
