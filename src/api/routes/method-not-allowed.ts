/** Answers 405 (HTTPMethodNotAllowed) for the methods a path does not support, as Neutron does. */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { MethodNotAllowed } from '../../domain/errors.js';

const ALL: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Registers a 405 route for every method of `url` other than `allowed`. */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const methods = ALL.filter((m) => !allowed.includes(m));
  app.route({
    method: methods,
    url,
    schema: { hide: true },
    handler: async (request) => {
      throw new MethodNotAllowed(`Method ${request.method} is not allowed on ${url}; use ${allowed.join(', ')}`);
    },
  });
}
