/**
 * Many tenants on three replicas of one PostgreSQL schema, one replica killed with SIGKILL mid-run.
 * Port creates are scoped writes (their network and project), so creates in different projects and
 * networks commit side by side; deletes and network creates stay global. Small subnets and a small port
 * quota make the checks bite: afterwards no project is over its quota, no address or MAC is held twice,
 * every acknowledged create survived and every acknowledged delete stuck, every network has its own
 * segment, and the agent (connected to all three replicas) resumed and holds exactly the ports that exist,
 * all ACTIVE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../../src/store/open-store.js';
import { createTestSchema, requirePostgresUrl } from '../../harness/postgres.js';
import { startServerProcess, type ServerProcess } from '../../harness/server-process.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, type TestAgent } from '../southbound/harness.js';

const PROJECTS = 6;
const PORT_QUOTA = 7;
const HOST = 'mt1';

async function call(url: string, method: string, path: string, project: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-project-id': project, 'x-roles': 'admin' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('postgres - many tenants on three replicas, one killed mid-run: quotas, addresses, MACs, segments and the agent stay exact', { timeout: 300_000 }, async (t) => {
  const baseUrl = await requirePostgresUrl(t, 'the many-tenant replica test');
  if (!baseUrl) return;
  const schema = await createTestSchema(baseUrl);
  const servers: ServerProcess[] = [];
  const agents: TestAgent[] = [];
  try {
    const env = { ALCOR_DATABASE_URL: schema.url, ALCOR_QUOTA_DEFAULTS: `network=-1,subnet=-1,port=${PORT_QUOTA}` };
    for (let i = 0; i < 3; i++) servers.push(await startServerProcess(env, 30_000));
    const urls = servers.map((s) => s.url);

    // Two networks per project, created through all replicas at once: a /29 (5 addresses) and a /28.
    const networks: { project: string; id: string }[] = [];
    await Promise.all(
      Array.from({ length: PROJECTS * 2 }, async (_, i) => {
        const project = `tenant${i % PROJECTS}`;
        const url = urls[i % urls.length] as string;
        const net = await call(url, 'POST', '/v2.0/networks', project, { network: { name: `n${i}` } });
        assert.equal(net.status, 201, JSON.stringify(net.body));
        const cidr = i < PROJECTS ? `10.70.${i}.0/29` : `10.71.${i}.0/28`;
        const subnet = await call(url, 'POST', '/v2.0/subnets', project, { subnet: { network_id: net.body.network.id, cidr, ip_version: 4 } });
        assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
        networks.push({ project, id: net.body.network.id });
      }),
    );
    const agent = await startAgent(servers.map((s) => s.southbound).join(','), HOST);
    agents.push(agent);

    const acknowledged = new Map<string, string>(); // port → project
    const deleted = new Set<string>();
    const uncertain = new Set<string>(); // deletes whose request died with the replica
    const refused = { full: 0, quota: 0 };
    let killed = false;
    const alive = () => (killed ? urls.slice(1) : urls);
    await Promise.all(
      Array.from({ length: 12 }, async (_, worker) => {
        for (let i = 0; i < 30; i++) {
          const targets = alive();
          const url = targets[(worker + i) % targets.length] as string;
          const mine = [...acknowledged.keys()].filter((id) => !deleted.has(id) && !uncertain.has(id));
          if (i % 4 === 3 && mine.length > 0) {
            const id = mine[(worker * 7 + i) % mine.length] as string;
            const r = await call(url, 'DELETE', `/v2.0/ports/${id}`, acknowledged.get(id) as string).catch(() => undefined);
            if (r?.status === 204) deleted.add(id);
            else if (r === undefined) uncertain.add(id);
            else if (r.status !== 404) assert.fail(`delete ${id}: ${r.status} ${JSON.stringify(r.body)}`);
            continue;
          }
          const net = networks[(worker * 5 + i * 3) % networks.length] as { project: string; id: string };
          const r = await call(url, 'POST', '/v2.0/ports', net.project, { port: { network_id: net.id, 'binding:host_id': HOST } }).catch(() => undefined);
          if (r?.status === 201) acknowledged.set(r.body.port.id, net.project);
          else if (r !== undefined) {
            // Full subnets and full quotas are expected answers; nothing else is.
            const type = r.body?.NeutronError?.type ?? '';
            assert.ok(r.status === 409 && /IpAddressGenerationFailure|OverQuota/.test(type), `create: ${r.status} ${JSON.stringify(r.body)}`);
            if (type === 'OverQuota') refused.quota++;
            else refused.full++;
          }
          if (!killed && acknowledged.size >= 25) {
            killed = true;
            await (servers[0] as ServerProcess).kill();
          }
        }
      }),
    );
    assert.ok(killed, 'the first replica was killed mid-run');
    t.diagnostic(`${acknowledged.size} creates and ${deleted.size} deletes acknowledged; ${refused.quota} over quota, ${refused.full} subnet full`);
    assert.ok(refused.quota > 0, 'the quota was reached under load');

    const store = await openStore({ engine: 'postgres', url: schema.url });
    let existing: string[];
    try {
      existing = await store.read(async (q) => {
        const perProject = await q.all<{ project_id: string; n: number }>('SELECT project_id, COUNT(*) AS n FROM ports GROUP BY project_id');
        for (const p of perProject) assert.ok(p.n <= PORT_QUOTA, `project ${p.project_id} holds ${p.n} ports, quota ${PORT_QUOTA}`);
        assert.ok(perProject.some((p) => p.n === PORT_QUOTA), `some project reached its quota: ${JSON.stringify(perProject)}`);
        const twiceIp = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT subnet_id, ip_address FROM ip_allocations GROUP BY subnet_id, ip_address HAVING COUNT(*) > 1) d');
        assert.equal(twiceIp?.n, 0, 'no address held twice');
        const twiceMac = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT network_id, mac_address FROM ports GROUP BY network_id, mac_address HAVING COUNT(*) > 1) d');
        assert.equal(twiceMac?.n, 0, 'no MAC held twice in a network');
        const segments = await q.all<{ s: number }>('SELECT segmentation_id AS s FROM networks');
        assert.equal(new Set(segments.map((r) => r.s)).size, networks.length, 'every network has its own segment');
        const wrong = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ports p WHERE (SELECT COUNT(*) FROM ip_allocations a WHERE a.port_id = p.id) <> 1');
        assert.equal(wrong?.n, 0, 'every port holds exactly one address');
        return (await q.all<{ id: string }>('SELECT id FROM ports WHERE binding_host_id = ?', [HOST])).map((r) => r.id);
      });
    } finally {
      await store.close();
    }
    const present = new Set(existing);
    for (const [id] of acknowledged) {
      if (deleted.has(id)) assert.ok(!present.has(id), `acknowledged delete of ${id} stuck`);
      else if (!uncertain.has(id)) assert.ok(present.has(id), `acknowledged port ${id} survived`);
    }

    // The agent resumed on a surviving replica and holds exactly the ports that exist, all ACTIVE.
    await waitFor(
      () => existing.every((id) => agent.agent.desired.view.port.has(id)) && [...deleted].every((id) => !agent.agent.desired.view.port.has(id)),
      60_000,
      'the agent holds every existing port and no deleted one',
    );
    await waitFor(
      async () => {
        const list = await call(urls[1] as string, 'GET', `/v2.0/ports?binding:host_id=${HOST}&fields=id&fields=status`, 'tenant0');
        return list.body.ports.length === existing.length && list.body.ports.every((p: { status: string }) => p.status === 'ACTIVE');
      },
      60_000,
      'every port ACTIVE through a surviving replica',
    );
  } finally {
    await cleanup({ agents });
    for (const s of servers) await s.stop().catch(() => undefined);
    await schema.drop();
  }
});
