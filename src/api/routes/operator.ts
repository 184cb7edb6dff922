/**
 * /alcor/v1: the operator view (admin only): controller status, hosts with their stream state, where a
 * port is programmed and why it is not ACTIVE, the logical packet trace, the southbound's recent warnings
 * and errors, and programming latency. Read by the `alcor` CLI.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PolicyNotAuthorized } from '../../domain/errors.js';
import type { OperatorView } from '../../domain/operator.js';
import { IdParams } from '../schemas/common.js';
import { EventsQuery, HostView, OperatorEvent, OperatorStatus, PortProgrammingView, ProgrammingLatency, TraceQuery, TraceResult } from '../schemas/operator.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the operator plugin. */
export interface OperatorRoutesOptions {
  operator: OperatorView;
}

function assertAdmin(request: FastifyRequest): void {
  if (!request.ctx.isAdmin) throw new PolicyNotAuthorized('The operator view (/alcor/v1) is admin only.');
}

/** Routes of the operator view. */
export const operatorRoutes: FastifyPluginAsync<OperatorRoutesOptions> = async (base, { operator }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['operator'];
  app.addHook('onRequest', async (request) => assertAdmin(request));

  app.get('/status', { schema: { tags, response: { 200: Type.Object({ status: OperatorStatus }) } } }, async () => ({ status: await operator.status() }));

  app.get('/hosts', { schema: { tags, response: { 200: Type.Object({ hosts: Type.Array(HostView) }) } } }, async () => ({ hosts: await operator.hosts() }));

  app.get('/hosts/:id', { schema: { tags, params: IdParams, response: { 200: Type.Object({ host: HostView }) } } }, async (request) => ({
    host: await operator.host(request.params.id),
  }));

  app.get('/ports/:id', { schema: { tags, params: IdParams, response: { 200: Type.Object({ port: PortProgrammingView }) } } }, async (request) => ({
    port: await operator.port(request.params.id),
  }));

  app.get('/trace', { schema: { tags, querystring: TraceQuery, response: { 200: Type.Object({ trace: TraceResult }) } } }, async (request) => {
    const { dport, on_host: onHost, ...rest } = request.query;
    return { trace: await operator.trace({ ...rest, ...(dport === undefined ? {} : { dport: Number(dport) }), ...(onHost === 'true' ? { on_host: true } : {}) }) };
  });

  app.get('/events', { schema: { tags, querystring: EventsQuery, response: { 200: Type.Object({ events: Type.Array(OperatorEvent) }) } } }, async (request) => ({
    events: await operator.events(Number(request.query.limit ?? 50)),
  }));

  app.get('/programming', { schema: { tags, response: { 200: Type.Object({ programming: ProgrammingLatency }) } } }, async () => ({ programming: await operator.programming() }));

  for (const url of ['/status', '/hosts', '/hosts/:id', '/ports/:id', '/trace', '/events', '/programming']) rejectOtherMethods(app, url, ['GET']);
};
