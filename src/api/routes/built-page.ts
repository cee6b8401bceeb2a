import type { FastifyReply } from 'fastify';

/** A page's route while its Vite build is missing: 503 naming the command that builds it. */
export const notBuilt = (page: string) => async (_request: unknown, reply: FastifyReply) =>
  reply.code(503).send({
    error: 'unavailable',
    message: `The ${page} is not built; run \`npm run build:dashboard\` (npm start does it for you).`,
  });

/** @fastify/static's setHeaders for a built page: the page's own headers, and caching by file kind. */
export const builtPageHeaders = (pageHeaders: Record<string, string>) => (reply: FastifyReply, path: string) => {
  reply.headers(pageHeaders);
  // Vite names assets by content hash; only index.html must be asked for afresh.
  reply.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
};
