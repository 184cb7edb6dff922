/** `/v2.0/{collection}/{id}/tags[/{tag}]`: Neutron's tag sub-resource, for every taggable collection. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { TagService } from '../../services/tags.js';
import { IdParams, Tags } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the tags plugin. */
export interface TagRoutesOptions {
  tags: TagService;
}

const TagParams = Type.Object({ id: Type.String({ maxLength: 255 }), tag: Type.String({ maxLength: 1024 }) });
const TagsBody = Type.Object({ tags: Tags }, { additionalProperties: false });
const TagsResponse = { 200: Type.Object({ tags: Type.Array(Type.String()) }) };

/** Routes of the tag sub-resource. */
export const tagRoutes: FastifyPluginAsync<TagRoutesOptions> = async (base, { tags }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const docTags = ['tags'];
  for (const collection of tags.collections()) {
    const all = `/${collection}/:id/tags`;
    const one = `/${collection}/:id/tags/:tag`;
    app.get(all, { schema: { tags: docTags, params: IdParams, response: TagsResponse } }, async (request) => ({
      tags: await tags.list(request.ctx, collection, request.params.id),
    }));
    app.put(all, { schema: { tags: docTags, params: IdParams, body: TagsBody, response: TagsResponse } }, async (request) => ({
      tags: await tags.replace(request.ctx, collection, request.params.id, request.body.tags),
    }));
    app.delete(all, { schema: { tags: docTags, params: IdParams } }, async (request, reply) => {
      await tags.clear(request.ctx, collection, request.params.id);
      void reply.status(204);
    });
    app.get(one, { schema: { tags: docTags, params: TagParams } }, async (request, reply) => {
      await tags.check(request.ctx, collection, request.params.id, request.params.tag);
      void reply.status(204);
    });
    app.put(one, { schema: { tags: docTags, params: TagParams } }, async (request, reply) => {
      await tags.add(request.ctx, collection, request.params.id, request.params.tag);
      void reply.status(201);
    });
    app.delete(one, { schema: { tags: docTags, params: TagParams } }, async (request, reply) => {
      await tags.remove(request.ctx, collection, request.params.id, request.params.tag);
      void reply.status(204);
    });
    rejectOtherMethods(app, all, ['GET', 'PUT', 'DELETE']);
    rejectOtherMethods(app, one, ['GET', 'PUT', 'DELETE']);
  }
};
