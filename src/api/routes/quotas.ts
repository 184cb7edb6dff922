/** /v2.0/quotas: list, show, update, reset, defaults and details (quotasv2 + quota_details). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { QuotaService } from '../../services/quotas.js';
import { ProjectParams, QuotaDetailsResponse, QuotaLimits, QuotaListResponse, QuotaUpdateBody } from '../schemas/quota.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the quotas plugin. */
export interface QuotaRoutesOptions {
  quotas: QuotaService;
}

/** Routes of the quota resource. */
export const quotaRoutes: FastifyPluginAsync<QuotaRoutesOptions> = async (base, { quotas }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['quotas'];
  const one = { 200: Type.Object({ quota: QuotaLimits }) };

  app.get('/quotas', { schema: { tags, response: { 200: QuotaListResponse } } }, async (request) => ({ quotas: await quotas.list(request.ctx) }));

  // Neutron's "which project am I" helper; a static path, so it shadows a project literally named "tenant" as in Neutron.
  app.get('/quotas/tenant', { schema: { tags, response: { 200: Type.Object({ tenant: Type.Object({ tenant_id: Type.String() }) }) } } }, async (request) => ({
    tenant: { tenant_id: request.ctx.projectId },
  }));

  app.get('/quotas/:project_id', { schema: { tags, params: ProjectParams, response: one } }, async (request) => ({
    quota: await quotas.show(request.ctx, request.params.project_id),
  }));

  app.put('/quotas/:project_id', { schema: { tags, params: ProjectParams, body: QuotaUpdateBody, response: one } }, async (request) => ({
    quota: await quotas.update(request.ctx, request.params.project_id, request.body.quota),
  }));

  app.delete('/quotas/:project_id', { schema: { tags, params: ProjectParams } }, async (request, reply) => {
    await quotas.reset(request.ctx, request.params.project_id);
    void reply.status(204);
  });

  app.get('/quotas/:project_id/default', { schema: { tags, params: ProjectParams, response: one } }, async (request) => ({
    quota: await quotas.defaults(request.ctx, request.params.project_id),
  }));

  const details = { schema: { tags, params: ProjectParams, response: { 200: QuotaDetailsResponse } } };
  app.get('/quotas/:project_id/details', details, async (request) => ({ quota: await quotas.details(request.ctx, request.params.project_id) }));
  // openstacksdk asks for `details.json`, as Neutron's routes accept a format suffix.
  app.get('/quotas/:project_id/details.json', details, async (request) => ({ quota: await quotas.details(request.ctx, request.params.project_id) }));

  rejectOtherMethods(app, '/quotas', ['GET']);
  rejectOtherMethods(app, '/quotas/tenant', ['GET']);
  rejectOtherMethods(app, '/quotas/:project_id', ['GET', 'PUT', 'DELETE']);
  rejectOtherMethods(app, '/quotas/:project_id/default', ['GET']);
  rejectOtherMethods(app, '/quotas/:project_id/details', ['GET']);
};
