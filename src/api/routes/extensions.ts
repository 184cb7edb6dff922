/** /v2.0/extensions: the API extensions this controller implements (and no others). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EXTENSIONS, getExtension } from '../../services/extensions.js';
import { rejectOtherMethods } from './method-not-allowed.js';

const Extension = Type.Object({
  alias: Type.String(),
  name: Type.String(),
  description: Type.String(),
  updated: Type.String(),
  links: Type.Array(Type.Never()),
});

/** Routes of the extensions resource. */
export const extensionRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['extensions'];
  app.get('/extensions', { schema: { tags, response: { 200: Type.Object({ extensions: Type.Array(Extension) }) } } }, async () => ({
    extensions: [...EXTENSIONS],
  }));
  app.get(
    '/extensions/:alias',
    { schema: { tags, params: Type.Object({ alias: Type.String({ maxLength: 255 }) }), response: { 200: Type.Object({ extension: Extension }) } } },
    async (request) => ({ extension: getExtension(request.params.alias) }),
  );
  rejectOtherMethods(app, '/extensions', ['GET']);
  rejectOtherMethods(app, '/extensions/:alias', ['GET']);
};
