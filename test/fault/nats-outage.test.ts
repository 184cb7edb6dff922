// API responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Fault: the nats-server carrying the VPC deltas is killed (SIGKILL) in the middle of a burst of port
 * creates and deletes through the Neutron API, and restarted on the same port and store later in the
 * burst. The simulated hosts (worker processes, every VPC on the bus) must all hold exactly the
 * controller's latest state within the stated time after the burst (the server is back before its
 * end); the API must answer every request as usual (the bus is not on its write path: no 500, not even
 * a 503); and the API's ports must be exactly those the workload left, each with its own id, MAC and
 * fixed IP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnAgentWorker, type AgentWorker } from '../../src/bench/agent-workers.js';
import { deleteStream, PrivateNats, requireNats, uniqueBus } from '../harness/nats.js';
import { waitFor } from '../harness/wait-for.js';
import { withSouthbound, workerHostsBehind, type SouthboundFixture, type TestStack } from '../integration/southbound/harness.js';
import { HEAVY, spreadOver } from './harness.js';

const SIZE = HEAVY ? { changes: 5000, burstMs: 50_000, hosts: 20 } : { changes: 600, burstMs: 8000, hosts: 6 };
/** Every host holds the controller's latest state this long after the last change at the latest (the server is back before it). */
const CONVERGE_MS = HEAVY ? 120_000 : 30_000;
/** Every VPC on the bus. */
const MQ_ONLY = { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } as const;

interface ListedPort {
  id: string;
  mac_address: string;
  fixed_ips: { ip_address: string }[];
}

/**
 * One API call; anything but `expected` fails the test. The bus is not on the API's write path, so an
 * outage of it must not fail a request at all (not even with a 503).
 */
async function call(c: TestStack, method: string, path: string, expected: number, body?: unknown): Promise<any> {
  const res = await fetch(`${c.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, expected, `${method} ${path}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Simulated hosts on the bus in two worker processes. */
async function startHosts(f: SouthboundFixture, c: TestStack, bus: ReturnType<typeof uniqueBus>): Promise<[AgentWorker, string[]][]> {
  const half = Math.ceil(SIZE.hosts / 2);
  const common = { controller: c.address, stateRoot: f.dir('fault-nats'), bus };
  const groups: [AgentWorker, string[]][] = [
    [spawnAgentWorker({ ...common, prefix: 'a', first: 0, count: half }), Array.from({ length: half }, (_, i) => `a-${i}`)],
    [spawnAgentWorker({ ...common, prefix: 'b', first: 0, count: SIZE.hosts - half }), Array.from({ length: SIZE.hosts - half }, (_, i) => `b-${i}`)],
  ];
  for (const [w] of groups) f.defer(() => w.child.kill('SIGKILL'));
  await Promise.all(groups.map(([w]) => w.ready));
  return groups;
}

test(`fault - nats-server killed and restarted during a burst of ${SIZE.changes} API changes: every host converges, no port or address lost or duplicated, the API answers every request`, { timeout: 300_000 }, async (t) => {
  if (!(await requireNats(t))) return;
  const nats = await PrivateNats.start();
  const bus = uniqueBus(nats.url);
  try {
    await withSouthbound(async (f) => {
      const c = await f.stack({ nats: bus, channels: MQ_ONLY });
      const groups = await startHosts(f, c, bus);
      const hosts = groups.flatMap(([, h]) => h);
      const behind = async () => {
        const out: string[] = [];
        for (const [worker, group] of groups) out.push(...(await workerHostsBehind(c, worker, group)));
        return out;
      };
      const net = (await call(c, 'POST', '/v2.0/networks', 201, { network: { name: 'fault-nats' } })).network as { id: string; project_id: string };
      // The heavy burst leaves more ports than Neutron's default quota of 500.
      await call(c, 'PUT', `/v2.0/quotas/${net.project_id}`, 200, { quota: { port: -1 } });
      await call(c, 'POST', '/v2.0/subnets', 201, { subnet: { network_id: net.id, cidr: '10.70.0.0/16', ip_version: 4 } });

      /** Port id → fixed IP the API acknowledged: what the API must list at the end. */
      const ports = new Map<string, string>();
      const create = async (host: string) => {
        const port = (await call(c, 'POST', '/v2.0/ports', 201, { port: { network_id: net.id, 'binding:host_id': host } })).port;
        ports.set(port.id, port.fixed_ips[0].ip_address);
      };
      for (const host of hosts) await create(host);
      await c.southbound.notify();
      await waitFor(async () => (await behind()).length === 0, 30_000, 'hosts hold the VPC');
      const publishedBefore = c.southbound.bus?.counters.published ?? 0;

      // The server dies a third into the burst and is back two thirds into it.
      let done = 0;
      let killedAt = 0;
      let backAt = 0;
      const outage = (async () => {
        await waitFor(() => done >= SIZE.changes / 3, SIZE.burstMs * 3, 'a third of the burst');
        await nats.kill();
        killedAt = Date.now();
        await waitFor(() => done >= (2 * SIZE.changes) / 3, SIZE.burstMs * 3, 'two thirds of the burst');
        await nats.resume();
        backAt = Date.now();
      })();
      // Awaited after the burst; should the burst fail first, its own error is the one reported.
      outage.catch(() => undefined);
      let heldBack = false;
      await spreadOver(SIZE.changes, SIZE.burstMs, async (i) => {
        if (i % 4 === 3) {
          const victim = [...ports.keys()][(i * 7919) % ports.size] as string;
          await call(c, 'DELETE', `/v2.0/ports/${victim}`, 204);
          ports.delete(victim);
        } else await create(hosts[i % hosts.length] as string);
        if (killedAt && !backAt) heldBack ||= (c.southbound.bus?.counters.failed ?? 0) > 0 || (c.southbound.bus?.pending ?? 0) > 0;
        done++;
      });
      await outage;
      const burstEnded = Date.now();
      assert.ok(heldBack, 'publishes were held back while the server was down');

      await c.southbound.notify();
      await waitFor(async () => (await behind()).length === 0, CONVERGE_MS, `every host converged within ${CONVERGE_MS} ms of the last change`);
      const convergedAt = Date.now();
      assert.ok((c.southbound.bus?.counters.published ?? 0) > publishedBefore, 'deltas went over the bus');
      t.diagnostic(
        `${SIZE.changes} changes over ${SIZE.burstMs} ms, ${SIZE.hosts} hosts; server down ${backAt - killedAt} ms; ` +
          `converged ${convergedAt - backAt} ms after it was back (${convergedAt - burstEnded} ms after the last change)`,
      );

      const listed = (await call(c, 'GET', `/v2.0/ports?network_id=${net.id}`, 200)).ports as ListedPort[];
      assert.equal(new Set(listed.map((p) => p.id)).size, listed.length, 'no port listed twice');
      assert.deepEqual(new Set(listed.map((p) => p.id)), new Set(ports.keys()), 'the API lists exactly the ports the workload left');
      for (const p of listed) assert.deepEqual(p.fixed_ips.map((a) => a.ip_address), [ports.get(p.id)], `port ${p.id} keeps its acknowledged address`);
      assert.equal(new Set(listed.map((p) => p.fixed_ips[0]?.ip_address)).size, listed.length, 'no fixed IP held twice');
      assert.equal(new Set(listed.map((p) => p.mac_address)).size, listed.length, 'no MAC held twice');
    });
  } finally {
    await deleteStream(bus.url, bus.stream);
    await nats.stop();
  }
});
