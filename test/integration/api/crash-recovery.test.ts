import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServerProcess } from '../../harness/server-process.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'alcor-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('storage - a controller killed during bulk creates leaks and duplicates no IP, MAC or segment', async () => {
  const dbPath = join(dir, 'alcor.db');
  const env = { ALCOR_DATABASE_URL: `sqlite:${dbPath}` };
  let server = await startServerProcess(env);
  const net = (await post(server.url, '/v2.0/networks', { network: { name: 'crash' } })).body.network.id;
  await post(server.url, '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.0.0.0/16', ip_version: 4 } });
  await fetch(`${server.url}/v2.0/quotas/admin`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quota: { port: -1 } }) });
  const BULK = 200;
  const bodies = Array.from({ length: 20 }, () => ({ ports: Array.from({ length: BULK }, () => ({ network_id: net })) }));
  const inflight = bodies.map((b) => post(server.url, '/v2.0/ports', b).then((r) => r.status, () => 'aborted'));
  // Kill as soon as the first bulk commits: the others are queued or mid-transaction.
  await Promise.race(inflight);
  await server.kill();
  const outcomes = await Promise.all(inflight);
  const committed = outcomes.filter((s) => s === 201).length;
  assert.ok(committed >= 1 && committed < bodies.length, `some but not all bulks committed (${committed})`);

  const store = await openSqliteStore(dbPath);
  try {
    await store.read(async (q) => {
      const ports = Number((await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ports'))?.n);
      assert.equal(ports % BULK, 0, `only whole bulks exist (${ports} ports)`);
      assert.ok(ports >= committed * BULK, 'every acknowledged bulk survived');
      const orphans = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ip_allocations a WHERE NOT EXISTS (SELECT 1 FROM ports p WHERE p.id = a.port_id)');
      assert.equal(Number(orphans?.n), 0, 'no allocation without its port');
      const perPort = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ports p WHERE (SELECT COUNT(*) FROM ip_allocations a WHERE a.port_id = p.id) <> 1');
      assert.equal(Number(perPort?.n), 0, 'every port holds exactly its one address');
      const dupIps = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT ip_address FROM ip_allocations GROUP BY subnet_id, ip_address HAVING COUNT(*) > 1) d');
      assert.equal(Number(dupIps?.n), 0);
      const dupMacs = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT mac_address FROM ports GROUP BY network_id, mac_address HAVING COUNT(*) > 1) d');
      assert.equal(Number(dupMacs?.n), 0);
      const changes = Number((await q.get<{ n: number }>("SELECT COUNT(*) AS n FROM changes WHERE resource_type = 'port'"))?.n);
      assert.equal(changes, ports, 'one outbox record per committed port, none for rolled-back ones');
    });
  } finally {
    await store.close();
  }

  server = await startServerProcess(env);
  try {
    const more = await post(server.url, '/v2.0/ports', { ports: Array.from({ length: BULK }, () => ({ network_id: net })) });
    assert.equal(more.status, 201, 'allocation continues after the crash');
    const list = await fetch(`${server.url}/v2.0/ports?fields=fixed_ips`).then((r) => r.json() as Promise<{ ports: { fixed_ips: { ip_address: string }[] }[] }>);
    const ips = list.ports.map((p) => p.fixed_ips[0]?.ip_address);
    assert.equal(new Set(ips).size, ips.length, 'no address handed out twice across the crash');
  } finally {
    await server.stop();
  }
});
