/** /v2.0/security-group-rules: list, create (single or bulk), show, delete (rules are immutable). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { SecurityGroupRuleService } from '../../services/security-group-rules.js';
import { ListQuerystring, pageLinks, parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { ifMatchRevision } from '../request-headers.js';
import { createBody, IdParams, listResponse } from '../schemas/common.js';
import { SecurityGroupRule, SecurityGroupRuleCreate } from '../schemas/security-group.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the security-group-rules plugin. */
export interface SecurityGroupRuleRoutesOptions {
  securityGroupRules: SecurityGroupRuleService;
}

/** Routes of the security group rule resource. */
export const securityGroupRuleRoutes: FastifyPluginAsync<SecurityGroupRuleRoutesOptions> = async (base, { securityGroupRules: rules }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['security-group-rules'];

  app.get('/security-group-rules', { schema: { tags, querystring: ListQuerystring, response: { 200: listResponse('security_group_rules', SecurityGroupRule) } } }, async (request) => {
    const query = parseListQuery(request.query);
    const fields = parseFields(request.query);
    const page = await rules.list(request.ctx, query);
    const links = pageLinks(request, query, { first: page.items[0]?.id, last: page.items.at(-1)?.id }, page.hasMore);
    return { security_group_rules: page.items.map((r) => pickFields(r, fields)), ...(links.length ? { security_group_rules_links: links } : {}) };
  });

  const created = Type.Object({ security_group_rule: Type.Optional(SecurityGroupRule), security_group_rules: Type.Optional(Type.Array(SecurityGroupRule)) });
  app.post('/security-group-rules', { schema: { tags, body: createBody('security_group_rule', 'security_group_rules', SecurityGroupRuleCreate), response: { 201: created } } }, async (request, reply) => {
    const bulk = request.body.security_group_rules;
    const single = request.body.security_group_rule;
    const made = await rules.createMany(request.ctx, bulk ?? (single ? [single] : []));
    void reply.status(201);
    return bulk ? { security_group_rules: made } : { security_group_rule: made[0] };
  });

  app.get('/security-group-rules/:id', { schema: { tags, params: IdParams, querystring: ShowQuerystring, response: { 200: Type.Object({ security_group_rule: SecurityGroupRule }) } } }, async (request) => {
    const rule = await rules.get(request.ctx, request.params.id);
    return { security_group_rule: pickFields(rule, parseFields(request.query)) };
  });

  app.delete('/security-group-rules/:id', { schema: { tags, params: IdParams } }, async (request, reply) => {
    await rules.delete(request.ctx, request.params.id, ifMatchRevision(request));
    void reply.status(204);
  });

  rejectOtherMethods(app, '/security-group-rules', ['GET', 'POST']);
  rejectOtherMethods(app, '/security-group-rules/:id', ['GET', 'DELETE']);
};
