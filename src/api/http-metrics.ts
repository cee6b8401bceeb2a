import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';

type Observe = (seconds: number) => void;

/**
 * Times every answer into firstcome_http_request_duration_seconds, labelled by the route's pattern
 * (`/events/:id/claims`, never the id, so the series stay few) and its status. A request no route
 * matched is labelled `unmatched`: a scanner's made-up paths must not make new series.
 */
export function recordHttpMetrics(app: FastifyInstance, { httpRequestSeconds }: Pick<Metrics, 'httpRequestSeconds'>) {
  // The claim route answers tens of thousands of times a second: find its child once, not per request.
  const children = new Map<string, Observe>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let observe = children.get(key);
    if (!observe) {
      const child = httpRequestSeconds.labels({
        method: request.method,
        route,
        status_code: String(reply.statusCode),
      });
      observe = (seconds) => child.observe(seconds);
      children.set(key, observe);
    }
    observe(reply.elapsedTime / 1000);
    done();
  });
}
