/**
 * noauth only: `GET /projects/{id}`, the one Keystone call the `openstack` CLI makes without Keystone.
 * With `--os-auth-type none` the CLI's identity client talks to our endpoint, and `openstack quota set
 * <project>` resolves the project there first. Under noauth every project id is valid (as in Neutron's
 * noauth), so the answer echoes the id. Never registered with auth=keystone.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domain_id: Type.String(),
  enabled: Type.Boolean(),
  description: Type.String(),
});

/** The noauth project lookup. */
export const noauthProjectRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/projects/:id',
    { schema: { hide: true, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }), response: { 200: Type.Object({ project: Project }) } } },
    async (request) => ({ project: { id: request.params.id, name: request.params.id, domain_id: 'default', enabled: true, description: '' } }),
  );
};
