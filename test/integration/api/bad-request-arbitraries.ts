/**
 * fast-check generators of requests that are bad by construction, derived from the server's own
 * `GET /openapi.json`: every route and method (plus the methods a path does not allow), bodies that
 * violate the route's JSON schema, list queries with at least one invalid parameter, ids that do not
 * exist, resources of another project, stale `If-Match` revisions, oversized and non-JSON bodies, and
 * unknown paths. Every request here must be answered 4xx and must leave the database unchanged.
 */
import fc from 'fast-check';
import { extensionBadRequests } from './bad-extension-requests.js';

/** The subset of JSON Schema that the route schemas use. */
export interface JsonSchema {
  type?: string;
  $ref?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minProperties?: number;
  maxProperties?: number;
}

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  body?: JsonSchema;
  /** Attribute types of the listed resource (from the 200 response), for typed filters. */
  itemSchema?: JsonSchema;
}

/** A request to fire, with the reason it must fail. */
export interface BadRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What the generators know about the running server. */
export interface FuzzWorld {
  operations: Operation[];
  /** Existing ids per collection path (e.g. `/v2.0/networks` → [...]), owned by `ownerProject`. */
  ids: Map<string, string[]>;
  ownerProject: string;
  maxBodyBytes: number;
  resolve: (schema: JsonSchema) => JsonSchema;
}

type OpenApi = {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses?: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
  components?: { schemas?: Record<string, JsonSchema> };
};

/** Reads the operations (and a $ref resolver) out of an OpenAPI 3 document. */
export function readOperations(doc: OpenApi): { operations: Operation[]; resolve: (s: JsonSchema) => JsonSchema } {
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(doc.components?.schemas?.[name] ?? {});
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const body = op.requestBody?.content['application/json']?.schema;
      const listSchema = op.responses?.['200']?.content?.['application/json']?.schema;
      const collection = path.split('/').at(-1) ?? '';
      const listed = listSchema ? resolve(listSchema).properties?.[collection.replace(/-/g, '_')] : undefined;
      const items = listed ? resolve(listed).items : undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: body ? resolve(body) : undefined,
        itemSchema: items ? resolve(items) : undefined,
      });
    }
  }
  return { operations, resolve };
}

const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

const NASTY_STRINGS = ['', ' ', '\u0000', '%00', '../../etc/passwd', "'; DROP TABLE ports; --", '\u202e\u0301', '😀'.repeat(3), 'null', 'true', '1e309', '-0', '0x10', 'a'.repeat(300)];
/** Strings that a UUID field must reject. */
const NOT_UUIDS = ['not-a-uuid', '1234', '00000000-0000-0000-0000-00000000000', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '{00000000-0000-0000-0000-000000000000}', ''];

/** JSON types a schema accepts (through nested anyOf/oneOf). */
function acceptedTypes(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): Set<string> {
  const s = resolve(schema);
  const out = new Set<string>();
  if (s.type) out.add(s.type === 'integer' ? 'integer' : s.type);
  if (s.type === 'number') out.add('integer');
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) for (const t of acceptedTypes(sub, resolve)) out.add(t);
  if (s.const !== undefined || s.enum) for (const v of s.const !== undefined ? [s.const] : (s.enum ?? [])) out.add(v === null ? 'null' : typeof v);
  return out;
}

/** A value that a schema (with one accepted type, or a union) must reject. */
export function invalidValue(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const types = acceptedTypes(s, resolve);
  if (types.size === 0) return fc.constant(undefined); // accepts anything: nothing to violate
  const wrongType: fc.Arbitrary<unknown>[] = [];
  if (!types.has('string')) wrongType.push(fc.constantFrom(...NASTY_STRINGS.filter((x) => x !== '')));
  if (!types.has('integer') && !types.has('number')) wrongType.push(fc.integer());
  if (!types.has('number')) wrongType.push(fc.constantFrom(1.5, -0.25, 1e300));
  if (!types.has('boolean')) wrongType.push(fc.boolean());
  if (!types.has('null')) wrongType.push(fc.constant(null));
  if (!types.has('array')) wrongType.push(fc.array(anyJson, { maxLength: 3 }));
  if (!types.has('object')) wrongType.push(fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 3 }));
  const specific: fc.Arbitrary<unknown>[] = [];
  if (types.size === 1) {
    if (s.type === 'string' && s.format === 'uuid') specific.push(fc.constantFrom(...NOT_UUIDS));
    if (s.type === 'string' && s.maxLength !== undefined) specific.push(fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 20, unit: 'grapheme-ascii' }));
    if (s.type === 'string' && s.minLength !== undefined && s.minLength > 0) specific.push(fc.constant(''));
    if (s.type === 'string' && s.pattern) specific.push(fc.constantFrom('', ' ', 'x-y', '1.5', '-1').filter((v) => !new RegExp(s.pattern ?? '').test(v)));
    if (s.enum?.every((v) => typeof v === 'string')) specific.push(fc.constant('no-such-value'));
    if (s.type === 'integer' && s.maximum !== undefined) specific.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1000 }));
    if (s.type === 'integer' && s.minimum !== undefined) specific.push(fc.integer({ min: s.minimum - 1000, max: s.minimum - 1 }));
    if (s.type === 'array' && s.maxItems !== undefined && s.maxItems < 100 && s.items) specific.push(fc.array(validValue(s.items, resolve), { minLength: s.maxItems + 1, maxLength: s.maxItems + 1 }));
    if (s.type === 'array' && s.minItems !== undefined && s.minItems > 0) specific.push(fc.constant([]));
    if (s.type === 'array' && s.items && acceptedTypes(s.items, resolve).size > 0) specific.push(invalidValue(s.items, resolve).map((bad) => [bad]));
    if (s.type === 'object' && s.properties) specific.push(invalidObject(s, resolve));
  }
  return fc.oneof(...wrongType, ...specific);
}

/** A value a schema accepts (syntactically; the service may still refuse it). */
export function validValue(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((sub) => validValue(sub, resolve)));
  switch (s.type) {
    case 'string':
      if (s.format === 'uuid') return fc.uuid();
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
      return fc.oneof(
        fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 16, 16) }),
        fc.constantFrom('10.0.0.0/24', '10.0.0.5', 'fd00::/64', 'fa:16:3e:00:00:01', 'ingress', 'IPv4', 'tcp', 'compute:nova'),
      ).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
    case 'integer':
      return fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 70000, (s.minimum ?? 0) + 70000) });
    case 'number':
      return fc.double({ min: s.minimum ?? -5, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? validValue(s.items, resolve) : anyJson, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
    case 'object':
      return validObject(s, resolve);
    default:
      return anyJson;
  }
}

function validObject(s: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValue(v, resolve)]));
  return fc.record(model, { requiredKeys: [...required].filter((k) => k in props) });
}

/** An object with one violation: an unknown attribute, a missing required one, or one bad value. */
function invalidObject(s: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<unknown> {
  const props = Object.keys(s.properties ?? {});
  const options: fc.Arbitrary<unknown>[] = [];
  if (s.additionalProperties === false) {
    options.push(fc.tuple(validObject(s, resolve), fc.constantFrom('bogus_attribute', 'id', 'Name', 'status ', '__proto__x', 'constructor'), anyJson)
      .filter(([, key]) => !props.includes(key))
      .map(([o, key, v]) => ({ ...o, [key]: v })));
  }
  for (const key of s.required ?? []) options.push(validObject(s, resolve).map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key))));
  const breakable = props.filter((k) => acceptedTypes(s.properties?.[k] ?? {}, resolve).size > 0);
  if (breakable.length) {
    options.push(
      fc.constantFrom(...breakable).chain((key) =>
        fc.tuple(validObject(s, resolve), invalidValue(s.properties?.[key] ?? {}, resolve)).map(([o, bad]) => ({ ...o, [key]: bad })),
      ),
    );
  }
  return options.length ? fc.oneof(...options) : fc.constant('not an object');
}

/** The resource key of a single-resource body (`network` of `{network, networks}`). */
export function singleKey(body: JsonSchema): string | undefined {
  return Object.entries(body.properties ?? {}).find(([, v]) => v.type === 'object')?.[0];
}

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', ''];
const MALFORMED_JSON = ['{', '{"a":1,}', "{'network': {}}", '[1, 2', 'nul', 'NaN', '{"network": {"name": "x"}} trailing', '\u0000', '{"network": {"name": "\\u12"}}', '{"a": 01}', '<xml/>'];
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const ALIASES: Record<string, string> = { networks: 'vpcs', subnets: 'subnets', ports: 'ports', subnetpools: 'subnetpools', 'address-scopes': 'address-scopes', 'rbac-policies': 'rbac-policies' };

/** Fills `{param}` placeholders. */
function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

/** A regular expression matching the concrete paths of a route template. */
function templateRegExp(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/** The collection path of an item path (`/v2.0/networks/{id}` → `/v2.0/networks`). */
function collectionOf(path: string): string {
  return path.replace(/\/\{id\}.*$/, '');
}

/** Sometimes sends a /v2.0 request through Alcor's project-scoped alias instead. */
function maybeAlias(path: string, project: string, useAlias: boolean): string {
  const m = /^\/v2\.0\/([a-z-]+)(\/.*)?$/.exec(path);
  const alias = m?.[1] ? ALIASES[m[1]] : undefined;
  return useAlias && alias ? `/project/${project}/${alias}${m?.[2] ?? ''}` : path;
}

function request(kind: string, method: string, path: string, headers: Record<string, string>, body?: string): BadRequest {
  return { kind, method, path, headers, ...(body === undefined ? {} : { body }) };
}

const asAdmin = {};
const asProject = (project: string) => ({ 'x-project-id': project, 'x-roles': 'member' });

/** Every kind of bad request, weighted so each kind gets a fair share of a few thousand runs. */
export function badRequests(world: FuzzWorld): fc.Arbitrary<BadRequest> {
  const { operations, ids, ownerProject, resolve } = world;
  const idOf = (path: string) => ids.get(collectionOf(path)) ?? [];
  const withBody = operations.filter((o) => o.body && (o.method === 'POST' || o.method === 'PUT'));
  const idOps = operations.filter((o) => o.pathParams.includes('id'));
  const existingIdOps = idOps.filter((o) => idOf(o.path).length > 0);
  const listOps = operations.filter((o) => o.method === 'GET' && o.queryParams.includes('limit') && o.queryParams.includes('marker'));
  const paths = [...new Set(operations.map((o) => o.path))];
  const who = fc.constantFrom<Record<string, string>>(asAdmin, asProject(ownerProject));
  const contentType = fc.constantFrom(...CONTENT_TYPES).map((ct): Record<string, string> => (ct ? { 'content-type': ct } : {}));
  // "." and ".." are dot segments: the URL standard resolves them before a request is sent (to the
  // collection or its parent), so as a project id they would test another route than the one generated.
  const projectId = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== '.' && s !== '..');
  const pathFor = (op: Operation) =>
    fc.tuple(fc.constantFrom(...(idOf(op.path).length ? idOf(op.path) : ['x'])), fc.uuid(), fc.boolean(), projectId)
      .map(([existing, missing, useExisting, project]) => fillPath(op.path, { id: useExisting ? existing : missing, project_id: project }));
  const kinds: fc.Arbitrary<BadRequest>[] = [];

  // Bodies that violate the route's schema: wrong types, unknown attributes, wrong top-level keys, bad UUIDs.
  if (withBody.length) {
    kinds.push(
      fc.constantFrom(...withBody).chain((op) =>
        fc.tuple(pathFor(op), invalidValue(op.body ?? {}, resolve), who, contentType, fc.boolean()).map(([path, body, w, ct, alias]) =>
          request('schema-violating body', op.method, maybeAlias(path, ownerProject, alias), { ...w, ...ct }, body === undefined ? '' : JSON.stringify(body)),
        ),
      ),
    );
    // Not JSON at all, or empty.
    kinds.push(
      fc.constantFrom(...withBody).chain((op) =>
        fc.tuple(pathFor(op), fc.oneof(fc.constantFrom(...MALFORMED_JSON, ''), fc.string({ maxLength: 30 }).filter(notJson)), who, contentType).map(([path, text, w, ct]) =>
          request('malformed body', op.method, path, { ...w, ...ct }, text),
        ),
      ),
    );
    // Larger than the configured limit.
    kinds.push(
      fc.constantFrom(...withBody).chain((op) =>
        fc.tuple(pathFor(op), who).map(([path, w]) => {
          const key = singleKey(op.body ?? {}) ?? 'x';
          return request('oversized body', op.method, path, { ...w, 'content-type': 'application/json' }, JSON.stringify({ [key]: { name: 'x'.repeat(world.maxBodyBytes + 10) } }));
        }),
      ),
    );
  }

  // Methods a path does not allow.
  kinds.push(
    fc.constantFrom(...paths).chain((path) => {
      const allowed = new Set(operations.filter((o) => o.path === path).map((o) => o.method));
      // A literal path can also match another route's template (/quotas/tenant and /quotas/{project_id}).
      const concrete = fillPath(path, { id: '00000000-0000-4000-8000-000000000000', project_id: 'p' });
      for (const o of operations) if (templateRegExp(o.path).test(concrete)) allowed.add(o.method);
      const others = ALL_METHODS.filter((m) => !allowed.has(m));
      if (others.length === 0) return fc.constant(request('method not allowed', 'PATCH', '/v2.0/no-such-collection', {}));
      return fc.tuple(fc.constantFrom(...others), fc.uuid(), who).map(([method, id, w]) =>
        request('method not allowed', method, fillPath(path, { id, project_id: 'p' }), { ...w, 'content-type': 'application/json' }, method === 'GET' || method === 'OPTIONS' ? undefined : '{}'),
      );
    }),
  );

  // Ids that do not exist (or cannot be ids): show, update with a valid empty body, delete.
  if (idOps.length) {
    const missingId = fc.oneof(fc.uuid(), fc.constantFrom(...NASTY_STRINGS.filter((s) => s !== '')));
    kinds.push(
      fc.constantFrom(...idOps).chain((op) =>
        fc.tuple(missingId, who, fc.boolean()).map(([id, w, alias]) => {
          const key = op.body ? singleKey(op.body) : undefined;
          const body = op.method === 'PUT' && key ? JSON.stringify({ [key]: {} }) : undefined;
          return request('unknown id', op.method, maybeAlias(fillPath(op.path, { id }), ownerProject, alias), { ...w, 'content-type': 'application/json' }, body);
        }),
      ),
    );
  }

  // Another project's resources are invisible: 404 on show, update and delete (403 at most for admin-only attributes).
  if (existingIdOps.length) {
    kinds.push(
      fc.constantFrom(...existingIdOps).chain((op) =>
        fc.tuple(fc.constantFrom(...idOf(op.path)), op.body ? validValue(op.body, resolve) : fc.constant(undefined)).map(([id, body]) =>
          request('other project', op.method, fillPath(op.path, { id }), { ...asProject('fuzz-intruder'), 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body)),
        ),
      ),
    );
    // A stale If-Match revision on update and delete.
    const revisioned = existingIdOps.filter((o) => (o.method === 'PUT' || o.method === 'DELETE') && o.path.endsWith('/{id}') && hasRevision(operations, o.path, resolve));
    if (revisioned.length) {
      kinds.push(
        fc.constantFrom(...revisioned).chain((op) =>
          fc.tuple(fc.constantFrom(...idOf(op.path)), op.body ? validValue(op.body, resolve) : fc.constant(undefined), fc.integer({ min: 1000, max: 1_000_000 })).map(([id, body, revision]) =>
            request('stale If-Match', op.method, fillPath(op.path, { id }), { ...asProject(ownerProject), 'content-type': 'application/json', 'if-match': `revision_number=${revision}` }, body === undefined ? undefined : JSON.stringify(body)),
          ),
        ),
      );
    }
  }

  // List queries with at least one invalid parameter, mixed with harmless ones.
  if (listOps.length) {
    kinds.push(
      fc.constantFrom(...listOps).chain((op) =>
        fc.tuple(badQueryParam(op), fc.array(harmlessQueryParam, { maxLength: 3 }), who, fc.boolean(), fc.boolean()).map(([bad, noise, w, badFirst, alias]) => {
          const params = badFirst ? [bad, ...noise] : [...noise, bad];
          const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          return request(`bad list query ${bad[0]}=${bad[1]}`, 'GET', `${maybeAlias(op.path, ownerProject, alias)}?${query}`, w);
        }),
      ),
    );
  }

  // Creates that are well-formed but name resources that do not exist.
  const referencing = withBody.filter((o) => o.method === 'POST' && uuidProperties(o.body ?? {}, resolve).length > 0);
  if (referencing.length) {
    kinds.push(
      fc.constantFrom(...referencing).chain((op) => {
        const key = singleKey(op.body ?? {}) ?? '';
        const item = resolve(op.body?.properties?.[key] ?? {});
        const refs = uuidProperties(op.body ?? {}, resolve);
        return fc.tuple(validValue(item, resolve), fc.array(fc.uuid(), { minLength: refs.length, maxLength: refs.length }), who, fc.boolean()).map(([body, uuids, w, alias]) => {
          const withRefs = { ...(body as Record<string, unknown>), ...Object.fromEntries(refs.map((r, i) => [r, uuids[i]])) };
          return request('unknown reference', 'POST', maybeAlias(op.path, ownerProject, alias), { ...w, 'content-type': 'application/json' }, JSON.stringify({ [key]: withRefs }));
        });
      }),
    );
  }

  // Content-invalid requests to the extensions' attributes and resources.
  kinds.push(extensionBadRequests(world));

  // Port bindings: hosts without a live agent, vnic_types no agent serves, bindings that do not exist.
  const portIds = ids.get('/v2.0/ports') ?? [];
  if (portIds.length && operations.some((o) => o.path === '/v2.0/ports/{id}/bindings')) {
    kinds.push(
      fc.tuple(fc.constantFrom(...portIds), fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('normal', 'direct', 'vdpa', 'baremetal'), fc.constantFrom('create', 'activate', 'delete', 'show'), who)
        .map(([id, host, vnic, action, w]) => {
          const one = `/v2.0/ports/${id}/bindings/${encodeURIComponent(host)}`;
          const headers = { ...w, 'content-type': 'application/json' };
          if (action === 'create') return request('unbindable binding', 'POST', `/v2.0/ports/${id}/bindings`, headers, JSON.stringify({ binding: { host, vnic_type: vnic } }));
          if (action === 'activate') return request('missing binding', 'PUT', `${one}/activate`, headers);
          return request('missing binding', action === 'delete' ? 'DELETE' : 'GET', one, headers);
        }),
    );
  }

  // Paths that do not exist at all.
  kinds.push(
    fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.constantFrom(...UNKNOWN_PATHS), fc.uuid()).map(([method, path, id]) =>
      request('unknown path', method, path.replace('{id}', id), { 'content-type': 'application/json' }, method === 'GET' || method === 'DELETE' ? undefined : '{}'),
    ),
  );
  return fc.oneof(...kinds);
}

const UNKNOWN_PATHS = ['/v2.0/no-such-things', '/v2.0/networks/{id}/no-such', '/v3/networks', '/v2.0/ports/{id}/bindings/x', '/v2.0/%ZZ', '/v2.0/networks%2F..%2F..', '/project/p1/no-such', '/project/p1/vpcs/{id}/x', '/v2.0/networks/{id}/tags/x/y', '/v2.0/subnetpools/{id}/add_prefixes/x', '/v2.0/rbac-policies/{id}/tags', '/v2.0./networks', '/' + 'a'.repeat(3000)];

function notJson(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

/** Top-level properties of the single-resource body that hold UUID references (network_id, ...). */
function uuidProperties(body: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): string[] {
  const key = singleKey(body);
  const item = key ? resolve(body.properties?.[key] ?? {}) : {};
  return Object.entries(item.properties ?? {})
    .filter(([, v]) => resolve(v).format === 'uuid')
    .map(([k]) => k);
}

function hasRevision(operations: Operation[], itemPath: string, resolve: (s: JsonSchema) => JsonSchema): boolean {
  const list = operations.find((o) => o.method === 'GET' && o.path === collectionOf(itemPath));
  return Boolean(list?.itemSchema && resolve(list.itemSchema).properties?.revision_number);
}

// No limit/marker/page_reverse here: the first value of those wins, and it could hide the bad one.
const harmlessQueryParam = fc.constantFrom<[string, string]>(['fields', 'id'], ['fields', 'name'], ['name', 'x'], ['sort_key', 'id'], ['fields', 'no_such_field']);

/** One query parameter the list route must refuse. */
function badQueryParam(op: Operation): fc.Arbitrary<[string, string]> {
  const attrs = Object.entries(op.itemSchema?.properties ?? {});
  const typed = attrs.filter(([, s]) => s.type === 'boolean' || s.type === 'integer');
  const options: fc.Arbitrary<[string, string]>[] = [
    fc.constantFrom('-1', 'abc', '1.5', ' ', '1e3', '0x10', '+5').map((v): [string, string] => ['limit', v]),
    fc.constantFrom('sideways', 'ASCENDING', '', '1').map((v): [string, string] => ['sort_dir', v]),
    fc.constantFrom('no_such_attribute', 'password', '"id"', 'id;drop').map((v): [string, string] => ['sort_key', v]),
    fc.constantFrom('maybe', 'yes', '2').map((v): [string, string] => ['page_reverse', v]),
    fc.uuid().map((v): [string, string] => ['marker', v]),
    fc.constantFrom('no_such_attribute', 'password', 'x'.repeat(300)).map((k): [string, string] => [k, 'x']),
  ];
  if (typed.length) {
    options.push(fc.constantFrom(...typed).map(([k, s]): [string, string] => [k, s.type === 'boolean' ? 'maybe' : 'abc']));
  }
  return fc.oneof(...options);
}
