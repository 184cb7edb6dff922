/** Version discovery: GET / lists API versions, GET /v2.0 lists the resource collections. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ALCOR_VERSION } from '../../version.js';

/** The collections served under /v2.0, for the version document. */
export const COLLECTIONS = ['networks', 'subnets', 'ports', 'network-ip-availabilities', 'extensions', 'routers', 'floatingips', 'security-groups', 'security-group-rules', 'quotas', 'agents'];

const Link = Type.Object({ rel: Type.String(), href: Type.String() });

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * Version discovery routes (no auth needed: clients read them before anything else). The document also
 * names the server's build as `alcor:version` beside `versions`: clients read only `versions`, and a
 * `version` inside an entry would be taken for a microversion, which Neutron's API does not have.
 */
export const versionRoutes: FastifyPluginAsync = async (app) => {
  const tags = ['versions'];
  app.get('/', {
    schema: {
      tags,
      response: {
        200: Type.Object({
          versions: Type.Array(Type.Object({ id: Type.String(), status: Type.String(), links: Type.Array(Link) })),
          'alcor:version': Type.String(),
        }),
      },
    },
  }, async (request) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(request)}/v2.0/` }] }],
    'alcor:version': ALCOR_VERSION,
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
