/**
 * Requests to the Neutron extensions' shapes that pass the JSON schema but are wrong in content: zone
 * hints no host reports, several segments or segments beside provider attributes, centralized routers,
 * bad MACs to regenerate from, paging of id-less lists, non-boolean filters, another project's path.
 * Each must be answered 4xx and change nothing, like every generated bad request.
 */
import fc from 'fast-check';
import type { BadRequest, FuzzWorld } from './bad-request-arbitraries.js';

const admin = {};
const member = (project: string) => ({ 'x-project-id': project, 'x-roles': 'member' });
const json = { 'content-type': 'application/json' };

function bad(method: string, path: string, headers: Record<string, string>, body?: unknown): BadRequest {
  return { kind: 'invalid extension input', method, path, headers: { ...json, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
}

/** Content-invalid requests to the extension attributes and resources. */
export function extensionBadRequests(world: FuzzWorld): fc.Arbitrary<BadRequest> {
  const who = fc.constantFrom<Record<string, string>>(admin, member(world.ownerProject));
  const zone = fc.string({ minLength: 1, maxLength: 40 });
  const segment = fc.record({ 'provider:network_type': fc.constant('vxlan'), 'provider:segmentation_id': fc.integer({ min: 1, max: 16_000_000 }) });
  const ports = world.ids.get('/v2.0/ports') ?? [];
  const routers = world.ids.get('/v2.0/routers') ?? [];
  const kinds: fc.Arbitrary<BadRequest>[] = [
    fc.tuple(fc.array(zone, { minLength: 1, maxLength: 3 }), who).map(([hints, w]) => bad('POST', '/v2.0/networks', w, { network: { availability_zone_hints: hints } })),
    fc.tuple(fc.array(zone, { minLength: 1, maxLength: 3 }), who).map(([hints, w]) => bad('POST', '/v2.0/routers', w, { router: { availability_zone_hints: hints } })),
    fc.tuple(fc.array(segment, { minLength: 2, maxLength: 4 }), who).map(([segments, w]) => bad('POST', '/v2.0/networks', w, { network: { segments } })),
    fc.tuple(segment, who).map(([s, w]) => bad('POST', '/v2.0/networks', w, { network: { segments: [s], 'provider:network_type': 'vxlan' } })),
    who.map((w) => bad('POST', '/v2.0/routers', w, { router: { distributed: false } })),
    fc.constant(bad('POST', '/v2.0/routers', member(world.ownerProject), { router: { distributed: true } })),
    fc.tuple(fc.constantFrom('/v2.0/availability_zones', '/v2.0/service-providers'), fc.constantFrom('limit=1', 'marker=x', 'sort_key=name', 'page_reverse=true', 'colour=red'), who).map(
      ([path, query, w]) => bad('GET', `${path}?${query}`, w),
    ),
    fc.tuple(fc.constantFrom('maybe', 'yes', '2'), who).map(([value, w]) => bad('GET', `/v2.0/service-providers?default=${value}`, w)),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((p) => /^[A-Za-z0-9-]+$/.test(p) && p !== world.ownerProject), fc.constantFrom('vpcs', 'ports', 'routers')).map(
      ([project, alias]) => bad('GET', `/project/${project}/${alias}`, member(world.ownerProject)),
    ),
  ];
  if (ports.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...ports), fc.constantFrom('zz:zz:zz:zz:zz:zz', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '')).map(([id, mac]) =>
        bad('PUT', `/v2.0/ports/${id}`, member(world.ownerProject), { port: { mac_address: mac } }),
      ),
    );
  }
  if (routers.length) {
    kinds.push(fc.constantFrom(...routers).map((id) => bad('PUT', `/v2.0/routers/${id}`, admin, { router: { distributed: false } })));
  }
  return fc.oneof(...kinds);
}
