/**
 * Fires a few thousand generated bad requests at a real server (see bad-request-arbitraries.ts) and
 * checks each answer is a 4xx with a NeutronError body, that the database is exactly as before after
 * every request, and that the server still serves afterwards. The generators read GET /openapi.json, so
 * routes added later are covered without touching this file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Store } from '../../../src/store/store.js';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { badRequests, readOperations, type BadRequest, type FuzzWorld } from './bad-request-arbitraries.js';

const OWNER = 'fuzz-owner';

/**
 * Bad requests the server is known to accept or to answer without a NeutronError body, excluded so the
 * suite stays green while they are open. Each entry names its owner's area; delete it once fixed (run with
 * ALCOR_FUZZ_SURVEY=1 to list every distinct failure).
 */
const KNOWN_GAPS: { kind: string; method?: string; path: RegExp; reason: string }[] = [
  // Neutron's network-ip-availabilities list has no sorting or paging either; it answers 200 like ours.
  { kind: 'bad list query', path: /^\/v2\.0\/network-ip-availabilities/, reason: 'list conventions not applied (as in Neutron)' },
];

/**
 * Statuses each kind may answer: Neutron's for the case (400 malformed or invalid, 413 too large,
 * 405 wrong method, 404 unknown or hidden, 412 stale revision), plus 403 where a member meets an
 * admin-only attribute or collection first, and 400/409 where a service rejects the content first.
 */
const EXPECTED_STATUS: Record<string, number[]> = {
  'schema-violating body': [400],
  'malformed body': [400, 415],
  'oversized body': [413],
  'method not allowed': [405, 404],
  'unknown id': [404, 400, 403],
  'other project': [404, 403],
  'stale If-Match': [412, 400, 403, 409],
  'bad list query': [400, 404, 403],
  'unknown reference': [404, 400, 403, 409],
  'unknown path': [404, 400, 405],
  'invalid extension input': [400, 403, 404],
};

function isKnownGap(req: BadRequest): boolean {
  // A survey lists everything, known gaps included, to see which are fixed.
  if (process.env.ALCOR_FUZZ_SURVEY === '1') return false;
  return KNOWN_GAPS.some((g) => req.kind.startsWith(g.kind) && (g.method === undefined || g.method === req.method) && g.path.test(req.path));
}
const RUNS = Number(process.env.ALCOR_FUZZ_RUNS ?? 3000);
const FULL_CHECK_EVERY = 100;

async function tableNames(store: Store): Promise<string[]> {
  return store.read(async (q) => {
    const rows =
      store.engine === 'sqlite'
        ? await q.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        : await q.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name");
    return rows.map((r) => r.name);
  });
}

/** Row counts of every table in one statement: the cheap check after each request. */
async function rowCounts(store: Store, tables: string[]): Promise<string> {
  const sql = tables.map((t) => `SELECT '${t}' AS t, COUNT(*) AS n FROM "${t}"`).join(' UNION ALL ');
  return store.read(async (q) => JSON.stringify(await q.all(sql), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** Every row of every table, in a canonical order: the full check, every FULL_CHECK_EVERY requests. */
async function snapshot(store: Store): Promise<string> {
  const tables = await tableNames(store);
  return store.read(async (q) => {
    const out: Record<string, string[]> = {};
    for (const name of tables) {
      const rows = await q.all(`SELECT * FROM "${name}"`);
      out[name] = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
    }
    return JSON.stringify(out);
  });
}

async function send(url: string, req: BadRequest): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(`${url}${req.path}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

/** Creates one resource of each family the server has, owned by OWNER, and returns their ids by collection. */
async function seed(api: TestApi, paths: Set<string>): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>();
  const create = async (collection: string, key: string, body: Record<string, unknown>): Promise<string | undefined> => {
    if (!paths.has(`/v2.0/${collection}`)) return undefined;
    const res = await api.request('POST', `/v2.0/${collection}`, { body: { [key]: body }, project: OWNER, roles: 'member' });
    assert.equal(res.status, 201, `seeding ${collection}: ${JSON.stringify(res.body)}`);
    return String(res.body[key].id);
  };
  const network = await create('networks', 'network', { name: 'fuzz-net' });
  await create('subnets', 'subnet', { network_id: network, ip_version: 4, cidr: '10.77.0.0/24', name: 'fuzz-subnet' });
  await create('ports', 'port', { network_id: network, name: 'fuzz-port' });
  const group = await create('security-groups', 'security_group', { name: 'fuzz-sg' });
  await create('routers', 'router', { name: 'fuzz-router' });
  // An external flat network (made by an admin) with a router gateway and a floating IP on it.
  if (paths.has('/v2.0/floatingips')) {
    const ext = await api.request('POST', '/v2.0/networks', {
      body: { network: { name: 'fuzz-ext', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } },
    });
    assert.equal(ext.status, 201, JSON.stringify(ext.body));
    const extSubnet = await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: ext.body.network.id, ip_version: 4, cidr: '203.0.113.0/24' } } });
    assert.equal(extSubnet.status, 201, JSON.stringify(extSubnet.body));
    await create('routers', 'router', { name: 'fuzz-router-gw', external_gateway_info: { network_id: ext.body.network.id } });
    await create('floatingips', 'floatingip', { floating_network_id: ext.body.network.id });
  }
  await create('security-group-rules', 'security_group_rule', { security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
  const scope = await create('address-scopes', 'address_scope', { name: 'fuzz-scope', ip_version: 4 });
  await create('subnetpools', 'subnetpool', { name: 'fuzz-pool', prefixes: ['10.78.0.0/16'], default_prefixlen: 24, address_scope_id: scope });
  await create('rbac-policies', 'rbac_policy', { object_type: 'network', object_id: network, action: 'access_as_shared', target_tenant: 'fuzz-friend' });
  for (const path of paths) {
    if (!/^\/v2\.0\/[a-z-]+$/.test(path) || !paths.has(`${path}/{id}`)) continue;
    const res = await api.request('GET', path, { project: OWNER, roles: 'member' });
    const collection = path.split('/').at(-1)?.replace(/-/g, '_') ?? '';
    const items = (res.body?.[collection] ?? []) as { id: string; project_id?: string }[];
    // Only OWNER's own resources: another project may read shared ones (the external network).
    ids.set(path, items.filter((i) => i.project_id === undefined || i.project_id === OWNER).map((i) => i.id));
  }
  return ids;
}

describe('bad requests', () => {
  let api: TestApi;
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  before(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    api = await startTestApi({ maxBodyBytes: 65536 });
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await api.close();
  });

  test('api - generated bad requests get 4xx NeutronError answers and leave the database unchanged', async () => {
    const doc = await api.request('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    const { operations, resolve } = readOperations(doc.body);
    const ids = await seed(api, new Set(operations.map((o) => o.path)));
    const world: FuzzWorld = { operations, ids, ownerProject: OWNER, maxBodyBytes: api.config.maxBodyBytes, resolve };
    // A project's first request may create its defaults (Neutron creates the default security group
    // lazily); let every identity the generators use make one valid request of each list first.
    for (const op of operations.filter((o) => o.method === 'GET' && !o.path.includes('{'))) {
      for (const headers of [{} as Record<string, string>, { 'x-project-id': OWNER, 'x-roles': 'member' }, { 'x-project-id': 'fuzz-intruder', 'x-roles': 'member' }]) {
        await api.request('GET', op.path, { headers });
      }
    }
    const tables = await tableNames(api.store);
    let baseline = await snapshot(api.store);
    let baselineCounts = await rowCounts(api.store, tables);
    let sinceFullCheck: string[] = [];
    const kinds = new Map<string, number>();
    const times = new Map<string, number>();
    const statusLog: string[] = [];
    // ALCOR_FUZZ_SURVEY=1 lists every distinct failure instead of stopping at the first (for triage).
    const survey = process.env.ALCOR_FUZZ_SURVEY === '1';
    const findings = new Map<string, string>();

    await fc.assert(
      fc.asyncProperty(badRequests(world).filter((r) => !isKnownGap(r)), async (req) => {
        if (!survey) return checkOne(req);
        try {
          await checkOne(req);
        } catch (err) {
          findings.set(`${req.kind.replace(/ [^ ]+=.*$/, '')} ${req.method} ${req.path.replace(/[0-9a-f-]{36}/g, '{uuid}').split('?')[0]}`, (err as Error).message);
          baseline = await snapshot(api.store);
          baselineCounts = await rowCounts(api.store, tables);
        }
      }),
      { numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: 45_000 },
    );
    if (survey) {
      for (const [key, message] of findings) process.stderr.write(`FINDING ${key}\n  ${message.split('\n').join('\n  ')}\n`);
      assert.equal(findings.size, 0, `${findings.size} distinct failures`);
    }

    async function checkOne(req: BadRequest): Promise<void> {
        const kind = req.kind.replace(/ [^ ]+=.*$/, '');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const t0 = performance.now();
        const res = await send(api.url, req);
        times.set(kind, (times.get(kind) ?? 0) + performance.now() - t0);
        if (process.env.ALCOR_FUZZ_STATUS_LOG) statusLog.push(`${kind}\t${res.status}\t${req.method} ${req.path.slice(0, 80)}`);
        const what = `${req.kind}: ${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers)} body=${(req.body ?? '').slice(0, 300)}\n  -> ${res.status} ${res.text.slice(0, 300)}`;
        assert.ok(res.status >= 400 && res.status < 500, `expected 4xx for ${what}`);
        const expected = EXPECTED_STATUS[kind];
        if (expected) assert.ok(expected.includes(res.status), `expected ${expected.join(' or ')} for ${what}`);
        assert.match(res.contentType, /application\/json/, `JSON answer for ${what}`);
        const fault = (JSON.parse(res.text) as { NeutronError?: Record<string, unknown> }).NeutronError;
        assert.ok(fault, `NeutronError body for ${what}`);
        assert.equal(typeof fault.type, 'string', `NeutronError.type for ${what}`);
        assert.ok((fault.type as string).length > 0, `NeutronError.type for ${what}`);
        assert.equal(typeof fault.message, 'string', `NeutronError.message for ${what}`);
        assert.equal(typeof fault.detail, 'string', `NeutronError.detail for ${what}`);
        assert.equal(await rowCounts(api.store, tables), baselineCounts, `row counts changed by ${what}`);
        sinceFullCheck.push(what);
        if (sinceFullCheck.length >= FULL_CHECK_EVERY) {
          assert.equal(await snapshot(api.store), baseline, `database changed by one of:\n${sinceFullCheck.join('\n')}`);
          sinceFullCheck = [];
        }
    }

    if (process.env.ALCOR_FUZZ_STATUS_LOG) writeFileSync(process.env.ALCOR_FUZZ_STATUS_LOG, statusLog.join('\n'));
    assert.equal(await snapshot(api.store), baseline, 'database unchanged at the end');
    assert.deepEqual(crashes, [], 'no uncaught exceptions or unhandled rejections');
    assert.ok(api.app.server.listening, 'server still listening');
    assert.equal((await api.request('GET', '/')).status, 200, 'server still answers');
    const counts = [...kinds.entries()].map(([k, n]) => `${k}: ${n} (${Math.round(times.get(k) ?? 0)} ms)`).join(', ');
    process.stderr.write(`bad requests fired: ${counts}\n`);
    for (const k of ['schema-violating body', 'malformed body', 'oversized body', 'method not allowed', 'unknown id', 'unknown path', 'bad list query']) {
      assert.ok((kinds.get(k) ?? 0) > 0, `generated some "${k}" requests`);
    }
  });
});
