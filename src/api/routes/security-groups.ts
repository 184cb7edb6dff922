/** /v2.0/security-groups: list, create (single or bulk), show, update, delete. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { SecurityGroupService } from '../../services/security-groups.js';
import { ListQuerystring, pageLinks, parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { ifMatchRevision } from '../request-headers.js';
import { createBody, IdParams, listResponse, updateBody } from '../schemas/common.js';
import { SecurityGroup, SecurityGroupCreate, SecurityGroupUpdate } from '../schemas/security-group.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the security-groups plugin. */
export interface SecurityGroupRoutesOptions {
  securityGroups: SecurityGroupService;
}

/** Routes of the security group resource. */
export const securityGroupRoutes: FastifyPluginAsync<SecurityGroupRoutesOptions> = async (base, { securityGroups }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['security-groups'];
  const one = { 200: Type.Object({ security_group: SecurityGroup }) };

  app.get('/security-groups', { schema: { tags, querystring: ListQuerystring, response: { 200: listResponse('security_groups', SecurityGroup) } } }, async (request) => {
    const query = parseListQuery(request.query);
    const fields = parseFields(request.query);
    const page = await securityGroups.list(request.ctx, query);
    const links = pageLinks(request, query, { first: page.items[0]?.id, last: page.items.at(-1)?.id }, page.hasMore);
    return { security_groups: page.items.map((g) => pickFields(g, fields)), ...(links.length ? { security_groups_links: links } : {}) };
  });

  const created = Type.Object({ security_group: Type.Optional(SecurityGroup), security_groups: Type.Optional(Type.Array(SecurityGroup)) });
  app.post('/security-groups', { schema: { tags, body: createBody('security_group', 'security_groups', SecurityGroupCreate), response: { 201: created } } }, async (request, reply) => {
    const bulk = request.body.security_groups;
    const groups = await securityGroups.createMany(request.ctx, bulk ?? [request.body.security_group ?? {}]);
    void reply.status(201);
    return bulk ? { security_groups: groups } : { security_group: groups[0] };
  });

  app.get('/security-groups/:id', { schema: { tags, params: IdParams, querystring: ShowQuerystring, response: one } }, async (request) => {
    const group = await securityGroups.get(request.ctx, request.params.id);
    return { security_group: pickFields(group, parseFields(request.query)) };
  });

  app.put('/security-groups/:id', { schema: { tags, params: IdParams, body: updateBody('security_group', SecurityGroupUpdate), response: one } }, async (request) => {
    return { security_group: await securityGroups.update(request.ctx, request.params.id, request.body.security_group, ifMatchRevision(request)) };
  });

  app.delete('/security-groups/:id', { schema: { tags, params: IdParams } }, async (request, reply) => {
    await securityGroups.delete(request.ctx, request.params.id, ifMatchRevision(request));
    void reply.status(204);
  });

  rejectOtherMethods(app, '/security-groups', ['GET', 'POST']);
  rejectOtherMethods(app, '/security-groups/:id', ['GET', 'PUT', 'DELETE']);
};
