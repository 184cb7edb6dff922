/**
 * Maps every error to Neutron's fault body `{"NeutronError": {"type", "message", "detail"}}`.
 * Catalog errors keep their type and status; fastify's own client errors (bad JSON, schema violations,
 * body too large, wrong media type) become the matching HTTP* types; anything else is a bug and answers
 * 500 without leaking internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AlcorError, BadRequest, InternalServerError, MethodNotAllowed, RequestEntityTooLarge, RouteNotFound, UnsupportedMediaType } from '../domain/errors.js';

/** The wire form of a fault. */
export interface NeutronFault {
  NeutronError: { type: string; message: string; detail: string };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Describes the first schema violation in Neutron's words, naming the attribute. */
function describeValidation(errors: AjvError[], context: string | undefined): string {
  const error = errors[0];
  if (!error) return 'Invalid request';
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  const where = context === 'body' ? path : `${context ?? 'request'}${path ? `.${path}` : ''}`;
  if (error.keyword === 'additionalProperties') {
    const name = String(error.params.additionalProperty);
    return `Unrecognized attribute(s) '${name}'${where ? ` in ${where}` : ''}`;
  }
  if (error.keyword === 'required') return `Attribute '${String(error.params.missingProperty)}' is required${where ? ` in ${where}` : ''}`;
  if (error.keyword === 'minProperties' || error.keyword === 'maxProperties') {
    return `Request body must contain exactly one resource key${where ? ` in ${where}` : ''}`;
  }
  return `Invalid input for ${where || 'body'}: ${error.message ?? error.keyword}`;
}

/** Converts any thrown value to a catalog error. */
export function toAlcorError(err: unknown): AlcorError {
  if (err instanceof AlcorError) return err;
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) return new BadRequest(describeValidation(fe.validation, fe.validationContext), { cause: err });
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestEntityTooLarge('Request body is larger than the configured limit', { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType('Request body must be JSON', { cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequest('Request body is empty', { cause: err });
    default:
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 404) return new RouteNotFound(fe.message ?? 'Not found', { cause: err });
    if (fe.statusCode === 405) return new MethodNotAllowed(fe.message ?? 'Method not allowed', { cause: err });
    if (fe.statusCode === 413) return new RequestEntityTooLarge(fe.message ?? 'Request body too large', { cause: err });
    return new BadRequest(`Malformed request: ${fe.message ?? 'invalid'}`, { cause: err });
  }
  return new InternalServerError('Request failed: internal error', { cause: err });
}

/** The fault body of an error. */
export function faultBody(err: AlcorError): NeutronFault {
  return { NeutronError: { type: err.type, message: err.message, detail: '' } };
}

/** Installs the error and not-found handlers on the root instance. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const fault = toAlcorError(err);
    // A 503 is an outage of a dependency, not a fault of this request: one warning line each, no stack.
    if (fault.status === 503) request.log.warn({ err: fault.message }, 'request refused: service unavailable');
    else if (fault.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ err: fault.message, type: fault.type }, 'client error');
    // A dependency is down (the database, Keystone) or the replica is draining: clients may come back soon.
    if (fault.status === 503) void reply.header('retry-after', '1');
    void reply.status(fault.status).send(faultBody(fault));
  });
  app.setNotFoundHandler((request, reply) => {
    const fault = new RouteNotFound(`The resource could not be found: ${request.method} ${request.url.split('?')[0]}`);
    void reply.status(404).send(faultBody(fault));
  });
}
