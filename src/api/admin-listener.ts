import { createServer, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { handleNotFound } from './http-errors.ts';

/** The operators' routes (CONTRACT.md, Production): with ADMIN_PORT they answer only on the admin listener. */
const adminRoutePattern = /^\/(?:admin|dashboard|docs)(?:\/|$)|^\/metrics$/;
/** Probes may be pointed at either listener. */
const bothListenersRoutes = new Set(['/healthz', '/readyz']);

export const isAdminRoute = (routeUrl: string): boolean => adminRoutePattern.test(routeUrl);

export interface AdminAddress {
  port: number;
  host: string;
}

/**
 * Splits `app` over two listeners: the public one (app.listen) keeps the claim routes and health, the
 * admin one, opened when the app gets ready and closed with it, answers the operators' routes and
 * health. Both run the same routes, hooks and error shapes; a route on the wrong listener answers 404
 * as if it did not exist. Call before any route is registered.
 */
export function listenForAdmins(app: FastifyInstance, { port, host }: AdminAddress): void {
  const adminRequests = new WeakSet<IncomingMessage>();
  // The matched route's pattern, not the raw URL: what the router chose is what is guarded.
  app.addHook('onRequest', async (request, reply) => {
    const routeUrl = request.routeOptions.url;
    if (routeUrl === undefined || bothListenersRoutes.has(routeUrl)) return;
    if (isAdminRoute(routeUrl) !== adminRequests.has(request.raw)) return handleNotFound(request, reply);
  });
  const server = createServer((request, response) => {
    adminRequests.add(request);
    app.routing(request, response);
  });
  // What the HTTP parser refuses is answered in the contract's shape here too (http-server.ts).
  server.on('clientError', (error, socket) => app.server.emit('clientError', error, socket));
  app.addHook(
    'onReady',
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  );
  // onClose comes after preClose, which ends the dashboard's streams.
  app.addHook(
    'onClose',
    () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}
