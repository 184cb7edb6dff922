/** Version discovery: GET / lists API versions, GET /v2.0 lists the resource collections. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';

/** The collections served under /v2.0, for the version document. */
export const COLLECTIONS = ['networks', 'subnets', 'ports', 'network-ip-availabilities', 'extensions', 'routers', 'floatingips', 'security-groups', 'security-group-rules', 'quotas', 'agents'];

const Link = Type.Object({ rel: Type.String(), href: Type.String() });

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** Version discovery routes (no auth needed: clients read them before anything else). */
export const versionRoutes: FastifyPluginAsync = async (app) => {
  const tags = ['versions'];
  app.get('/', {
    schema: {
      tags,
      response: { 200: Type.Object({ versions: Type.Array(Type.Object({ id: Type.String(), status: Type.String(), links: Type.Array(Link) })) }) },
    },
  }, async (request) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(request)}/v2.0/` }] }],
  }));

  const resources = async (request: FastifyRequest) => ({
    resources: COLLECTIONS.map((name) => ({
      name: name.replace(/s$/, ''),
      collection: name,
      links: [{ rel: 'self', href: `${baseUrl(request)}/v2.0/${name}` }],
    })),
  });
  const schema = {
    tags,
    response: { 200: Type.Object({ resources: Type.Array(Type.Object({ name: Type.String(), collection: Type.String(), links: Type.Array(Link) })) }) },
  };
  app.get('/v2.0', { schema }, resources);
};
