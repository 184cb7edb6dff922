/** /v2.0/agents: the host registry as Neutron's agent resource (list and show, admin only). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HostService } from '../../services/hosts.js';
import { ListQuerystring, pageLinks, parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { IdParams, listResponse, Nullable } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Neutron's agent resource. */
const Agent = Type.Object(
  {
    id: Type.String(),
    agent_type: Type.String(),
    binary: Type.String(),
    host: Type.String(),
    topic: Type.String(),
    alive: Type.Boolean(),
    admin_state_up: Type.Boolean(),
    availability_zone: Nullable(Type.String()),
    description: Type.String(),
    heartbeat_timestamp: Type.String(),
    started_at: Type.String(),
    created_at: Type.String(),
    configurations: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

/** Options of the agents plugin. */
export interface AgentRoutesOptions {
  hosts: HostService;
}

/** Routes of the agent resource. */
export const agentRoutes: FastifyPluginAsync<AgentRoutesOptions> = async (base, { hosts }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['agents'];

  app.get('/agents', { schema: { tags, querystring: ListQuerystring, response: { 200: listResponse('agents', Type.Partial(Agent)) } } }, async (request) => {
    const query = parseListQuery(request.query);
    const fields = parseFields(request.query);
    const page = await hosts.list(request.ctx, query);
    const links = pageLinks(request, query, { first: page.items[0]?.id, last: page.items.at(-1)?.id }, page.hasMore);
    return { agents: page.items.map((a) => pickFields(a, fields)), ...(links.length ? { agents_links: links } : {}) };
  });

  app.get('/agents/:id', { schema: { tags, params: IdParams, querystring: ShowQuerystring, response: { 200: Type.Object({ agent: Type.Partial(Agent) }) } } }, async (request) => {
    return { agent: pickFields(await hosts.get(request.ctx, request.params.id), parseFields(request.query)) };
  });

  rejectOtherMethods(app, '/agents', ['GET']);
  rejectOtherMethods(app, '/agents/:id', ['GET']);
};
