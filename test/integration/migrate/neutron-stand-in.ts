/**
 * A small HTTP stand-in for neutron-server that serves an export directory (the fixture's raw JSON
 * bodies) as Neutron's v2.0 API: the collections with their envelopes, `/v2.0/quotas/<project>[/default|
 * /details]`, version discovery at `/` answering with its own address, optional paging
 * (`<collection>_links`), an optional required token and a Keystone v3 `POST /v3/auth/tokens` whose
 * catalog names the stand-in as the `network` endpoint.
 * `serve(dir)` switches what it serves (e.g. to `after-changes/`); `override` replaces one collection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The fixture exported from neutron-server 21.0 (a copy of ../shared/fixtures/neutron-zed without its
 * database dump, kept in the repository so the suite runs on a fresh CI machine). Tests run compiled
 * from dist/test/..., so the path is resolved back to the source tree.
 */
export const FIXTURE_DIR = fileURLToPath(new URL('../../../../test/integration/migrate/fixtures/neutron-zed', import.meta.url));

/** Options of the stand-in. */
export interface StandInOptions {
  /** Items per page; undefined serves whole collections as Neutron does without `limit`. */
  pageSize?: number;
  /** When set, every /v2.0 request must carry this X-Auth-Token (401 otherwise). */
  token?: string;
  /** Keystone user/password that `POST /v3/auth/tokens` accepts; it answers `token` in X-Subject-Token. */
  keystoneUser?: { name: string; password: string; project: string };
}

const COLLECTIONS: Record<string, string> = {
  networks: 'networks', subnets: 'subnets', ports: 'ports', routers: 'routers', 'security-groups': 'security_groups',
  'security-group-rules': 'security_group_rules', floatingips: 'floatingips', 'rbac-policies': 'rbac_policies',
  'network-ip-availabilities': 'network_ip_availabilities', extensions: 'extensions', quotas: 'quotas',
};

/** A running stand-in. */
export interface NeutronStandIn {
  url: string;
  /** Serves the export in `dir` from now on. */
  serve(dir: string): void;
  /** Replaces the body of one file (e.g. `ports.json`) with `value` (serialised as JSON). */
  override(file: string, value: unknown): void;
  /** The parsed body of one file as currently served. */
  body<T = Record<string, unknown>>(file: string): T;
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts a stand-in on an ephemeral port serving `dir`. */
export async function startNeutronStandIn(dir: string = FIXTURE_DIR, options: StandInOptions = {}): Promise<NeutronStandIn> {
  let files = new Map<string, string>();
  const load = (d: string) => {
    files = new Map(readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
  };
  load(dir);
  const requests: string[] = [];
  let url = '';
  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  const notFound = (res: ServerResponse, path: string) =>
    send(res, 404, JSON.stringify({ NeutronError: { type: 'HTTPNotFound', message: `The resource could not be found: ${path}`, detail: '' } }));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const parsed = new URL(req.url ?? '/', url);
    const path = parsed.pathname.replace(/\/+$/, '') || '/';
    requests.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/v3/auth/tokens') {
      let text = '';
      for await (const chunk of req) text += String(chunk);
      const auth = JSON.parse(text) as { auth: { identity: { password: { user: { name: string; password: string } } }; scope: { project: { name: string } } } };
      const user = auth.auth.identity.password.user;
      const ok = options.keystoneUser && user.name === options.keystoneUser.name && user.password === options.keystoneUser.password
        && auth.auth.scope.project.name === options.keystoneUser.project;
      if (!ok) return send(res, 401, JSON.stringify({ error: { code: 401, message: 'The request you have made requires authentication.' } }));
      const catalog = [{ type: 'network', name: 'neutron', endpoints: [{ interface: 'internal', url: 'http://192.0.2.1:9696' }, { interface: 'public', url }] }];
      return send(res, 201, JSON.stringify({ token: { methods: ['password'], catalog } }), { 'x-subject-token': options.token ?? 'stand-in-token' });
    }
    if (req.method !== 'GET') return send(res, 405, JSON.stringify({ NeutronError: { type: 'HTTPMethodNotAllowed', message: 'read-only stand-in', detail: '' } }));
    if (path === '/') {
      const versions = JSON.parse(files.get('versions.json') ?? '{"versions":[]}') as { versions: { links: { href: string }[] }[] };
      for (const v of versions.versions) for (const l of v.links) l.href = `${url}/v2.0/`;
      return send(res, 200, JSON.stringify(versions));
    }
    if (options.token !== undefined && req.headers['x-auth-token'] !== options.token) {
      return send(res, 401, JSON.stringify({ error: { code: 401, message: 'Authentication required' } }));
    }
    const quota = /^\/v2\.0\/quotas\/([^/]+)(?:\/(default|details))?$/.exec(path);
    if (quota) {
      const project = decodeURIComponent(quota[1] ?? '');
      const suffix = quota[2] ? `.${quota[2]}` : '';
      const own = files.get(`quotas.${project}${suffix}.json`);
      if (own) return send(res, 200, own);
      // A project without overrides answers with the defaults, as Neutron does.
      const anyDefault = [...files.keys()].find((f) => f.endsWith('.default.json'));
      return anyDefault ? send(res, 200, files.get(anyDefault) ?? '') : notFound(res, path);
    }
    const m = /^\/v2\.0\/([a-z-]+)$/.exec(path);
    const key = m ? COLLECTIONS[m[1] ?? ''] : undefined;
    const text = m ? files.get(`${m[1]}.json`) : undefined;
    if (!m || !key || text === undefined) return notFound(res, path);
    if (!options.pageSize || key === 'quotas' || key === 'extensions') return send(res, 200, text);
    const items = (JSON.parse(text) as Record<string, { id: string }[]>)[key] ?? [];
    const marker = parsed.searchParams.get('marker');
    const start = marker === null ? 0 : items.findIndex((i) => i.id === marker) + 1;
    const page = items.slice(start, start + options.pageSize);
    const links = start + options.pageSize < items.length ? [{ rel: 'next', href: `${url}/v2.0/${m[1]}?limit=${options.pageSize}&marker=${page[page.length - 1]?.id}` }] : [];
    return send(res, 200, JSON.stringify({ [key]: page, [`${key}_links`]: links }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, JSON.stringify({ NeutronError: { type: 'HTTPInternalServerError', message: String(err), detail: '' } })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve: load,
    override: (file, value) => files.set(file, JSON.stringify(value)),
    body: <T>(file: string) => JSON.parse(files.get(file) ?? 'null') as T,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
