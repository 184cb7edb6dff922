/**
 * /v2.0/network-ip-availabilities. Counts can exceed 2^53 (IPv6 pools), so the answer is serialised
 * with exact integers rather than through JSON numbers.
 */
import type { FastifyPluginAsync } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IpAvailabilityService } from '../../services/ip-availability.js';
import { ListQuerystring, parseListQuery, ShowQuerystring } from '../list-params.js';
import { IdParams } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

// A per-process random marker cannot collide with a client-chosen name.
const BIGINT_MARKER = `bigint-${randomUUID()}:`;

/** JSON with bigints written as exact integer literals. */
export function stringifyExact(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${BIGINT_MARKER}${v.toString()}` : v));
  return text.replace(new RegExp(`"${BIGINT_MARKER}(\\d+)"`, 'g'), '$1');
}

/** Routes of network IP availability. */
export const ipAvailabilityRoutes: FastifyPluginAsync<{ ipAvailability: IpAvailabilityService }> = async (app, { ipAvailability }) => {
  const tags = ['network-ip-availabilities'];
  app.get('/network-ip-availabilities', { schema: { tags, querystring: ListQuerystring } }, async (request, reply) => {
    const items = await ipAvailability.list(request.ctx, parseListQuery(request.query as Record<string, string | string[]>));
    void reply.type('application/json');
    return stringifyExact({ network_ip_availabilities: items });
  });
  app.get('/network-ip-availabilities/:id', { schema: { tags, params: IdParams, querystring: ShowQuerystring } }, async (request, reply) => {
    const item = await ipAvailability.get(request.ctx, (request.params as { id: string }).id);
    void reply.type('application/json');
    return stringifyExact({ network_ip_availability: item });
  });
  rejectOtherMethods(app, '/network-ip-availabilities', ['GET']);
  rejectOtherMethods(app, '/network-ip-availabilities/:id', ['GET']);
};
