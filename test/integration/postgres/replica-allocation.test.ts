/**
 * Allocation safety across replicas: three controllers (separate pools, one PostgreSQL schema) hammer
 * one small subnet and one small VNI range concurrently; afterwards the database must hold no duplicate
 * IP, MAC or VNI, no allocation without its port, exactly the ports the clients were told exist, and
 * every released address must be usable again. Exhaustion must be a 409, never a 500.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { metricsRegistry } from '../../../src/metrics/registry.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { startTestApi, type ApiResponse, type TestApi } from '../../harness/api-server.js';
import { createTestSchema, postgresUnavailable, type TestSchema } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';

const REPLICAS = 3;
const WORKERS_PER_REPLICA = 4;
/** /27: pool .2-.30 once the gateway .1 is taken out. */
const POOL_SIZE = 29;

async function withReplicas(t: TestContext, body: (replicas: TestApi[]) => Promise<void>): Promise<void> {
  const base = process.env.ALCOR_TEST_PG_URL;
  if (!base) {
    missingPrerequisite(t, 'replica allocation tests need ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
    return;
  }
  const down = await postgresUnavailable(base);
  if (down) {
    missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
    return;
  }
  const schema: TestSchema = await createTestSchema(base);
  const replicas: TestApi[] = [];
  try {
    // Started together, as a Deployment would: the migration lock must let exactly one migrate.
    replicas.push(
      ...(await Promise.all(
        Array.from({ length: REPLICAS }, () =>
          startTestApi({ databaseUrl: schema.url, quotaDefaults: 'network=-1,subnet=-1,port=-1', vxlanRange: '500:519' }),
        ),
      )),
    );
    await body(replicas);
  } finally {
    for (const r of replicas) await r.close();
    await schema.drop();
  }
}

function expectStatus(r: ApiResponse, allowed: Record<number, string | undefined>, what: string): void {
  assert.ok(r.status in allowed, `${what}: unexpected ${r.status} ${JSON.stringify(r.body)}`);
  const type = allowed[r.status];
  if (type) assert.equal(r.body?.NeutronError?.type, type, `${what}: ${JSON.stringify(r.body)}`);
}

test('postgres - 3 replicas hammering one /27 never duplicate, leak or lose an address', { timeout: 300_000 }, async (t) => {
  await withReplicas(t, async (replicas) => {
    const pick = () => replicas[Math.floor(Math.random() * replicas.length)] as TestApi;
    const first = replicas[0] as TestApi;
    const net = (await first.request('POST', '/v2.0/networks', { body: { network: { name: 'hammer' } } })).body.network.id as string;
    const sub = await first.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: net, cidr: '10.77.0.0/27', ip_version: 4 } } });
    assert.equal(sub.status, 201);

    // Phase 1: more concurrent creates than addresses, spread over every replica.
    const burst = await Promise.all(Array.from({ length: POOL_SIZE + 11 }, () => pick().request('POST', '/v2.0/ports', { body: { port: { network_id: net } } })));
    for (const r of burst) expectStatus(r, { 201: undefined, 409: 'IpAddressGenerationFailure' }, 'burst create');
    assert.equal(burst.filter((r) => r.status === 201).length, POOL_SIZE, 'every address handed out exactly once');

    // Phase 2: churn. Each worker deletes one of its ports and creates another, on random replicas.
    const live = new Map<string, string>(burst.filter((r) => r.status === 201).map((r) => [r.body.port.id as string, r.body.port.fixed_ips[0].ip_address as string]));
    const owned: string[][] = Array.from({ length: REPLICAS * WORKERS_PER_REPLICA }, () => []);
    [...live.keys()].forEach((id, i) => owned[i % owned.length]?.push(id));
    let created = 0;
    let exhausted = 0;
    await Promise.all(
      owned.map(async (mine) => {
        for (let round = 0; round < 12; round++) {
          const victim = mine.shift();
          if (victim !== undefined) {
            const del = await pick().request('DELETE', `/v2.0/ports/${victim}`);
            expectStatus(del, { 204: undefined }, 'churn delete');
            live.delete(victim);
          }
          for (let k = 0; k < 2; k++) {
            const r = await pick().request('POST', '/v2.0/ports', { body: { port: { network_id: net } } });
            expectStatus(r, { 201: undefined, 409: 'IpAddressGenerationFailure' }, 'churn create');
            if (r.status === 201) {
              created++;
              mine.push(r.body.port.id);
              live.set(r.body.port.id, r.body.port.fixed_ips[0].ip_address);
            } else exhausted++;
          }
        }
      }),
    );
    t.diagnostic(`churn: ${created} creates, ${exhausted} exhausted answers, ${live.size} live ports`);
    assert.ok(created > 0);

    // Invariants, read straight from the shared database.
    const rows = await first.store.read(async (q) => ({
      ports: await q.all<{ id: string; mac_address: string }>('SELECT id, mac_address FROM ports WHERE network_id = ?', [net]),
      allocations: await q.all<{ ip_address: string; port_id: string }>('SELECT ip_address, port_id FROM ip_allocations WHERE network_id = ?', [net]),
      orphans: await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ip_allocations a WHERE NOT EXISTS (SELECT 1 FROM ports p WHERE p.id = a.port_id)'),
    }));
    assert.deepEqual(new Set(rows.ports.map((p) => p.id)), new Set(live.keys()), 'the database holds exactly the acknowledged ports');
    assert.equal(new Set(rows.ports.map((p) => p.mac_address)).size, rows.ports.length, 'no duplicate MAC');
    assert.equal(new Set(rows.allocations.map((a) => a.ip_address)).size, rows.allocations.length, 'no duplicate IP');
    assert.equal(rows.orphans?.n, 0, 'no allocation without its port');
    assert.equal(rows.allocations.length, live.size, 'one address per port');
    for (const a of rows.allocations) assert.equal(live.get(a.port_id), a.ip_address, 'the address the client was given');

    // Every released address is usable again: fill the subnet up, exactly to the pool size.
    const fill = await Promise.all(Array.from({ length: POOL_SIZE - live.size + 5 }, () => pick().request('POST', '/v2.0/ports', { body: { port: { network_id: net } } })));
    for (const r of fill) expectStatus(r, { 201: undefined, 409: 'IpAddressGenerationFailure' }, 'refill create');
    assert.equal(fill.filter((r) => r.status === 201).length, POOL_SIZE - live.size, 'every freed address came back');
    const stores = replicas.map((r) => r.store as PostgresStore);
    t.diagnostic(`transaction retries per replica: ${stores.map((s) => s.retries).join(', ')}; most attempts one write needed: ${Math.max(...stores.map((s) => s.maxAttemptsUsed))}`);
    const counted = (await metricsRegistry.getSingleMetric('alcor_store_transaction_retries_total')?.get())?.values[0]?.value;
    assert.equal(counted, stores.reduce((sum, s) => sum + s.retries, 0), 'the retries metric counts every retry of every replica in this process');
  });
});

test('postgres - 3 replicas racing for a small VNI range never duplicate a segment', { timeout: 120_000 }, async (t) => {
  await withReplicas(t, async (replicas) => {
    const results = await Promise.all(
      Array.from({ length: 26 }, (_, i) => (replicas[i % REPLICAS] as TestApi).request('POST', '/v2.0/networks', { body: { network: { name: `v${i}` } } })),
    );
    for (const r of results) expectStatus(r, { 201: undefined, 409: 'NoNetworkAvailable' }, 'network create');
    const vnis = results.filter((r) => r.status === 201).map((r) => r.body.network['provider:segmentation_id'] as number);
    assert.equal(vnis.length, 20);
    assert.deepEqual([...vnis].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 500 + i));
    // A released VNI is handed out again, by any replica.
    const victim = results.find((r) => r.status === 201)?.body.network;
    assert.equal((await (replicas[1] as TestApi).request('DELETE', `/v2.0/networks/${victim.id}`)).status, 204);
    const again = await (replicas[2] as TestApi).request('POST', '/v2.0/networks', { body: { network: { name: 'again' } } });
    assert.equal(again.status, 201);
    assert.equal(again.body.network['provider:segmentation_id'], victim['provider:segmentation_id']);
  });
});
