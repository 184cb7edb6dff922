/** Parsing of request headers with Neutron meaning. */
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '../domain/errors.js';

/** The N of `If-Match: revision_number=N`, or undefined when the header is absent. */
export function ifMatchRevision(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  const m = /^\s*revision_number=(\d+)\s*$/.exec(text);
  if (!m) throw new BadRequest(`If-Match header '${text}' must be revision_number=<integer>`);
  return Number(m[1]);
}
