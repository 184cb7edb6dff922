/**
 * Incremental equals recompute (STYLE.md rule 6): after a random sequence of changes compiled
 * incrementally, a manager compiled from scratch over the same tables holds byte-identical scopes,
 * and every agent's desired state equals a fresh snapshot of its host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlaneManager } from '../../../src/dataplane/manager.js';
import { bindPort, converged, createNetwork, createPort, createSubnet, deletePort, setHostRoutes, withSouthbound, type TestAgent } from './harness.js';

function scopeDump(m: DataPlaneManager): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [name, scope] of m.scopes) {
    if (scope.entries.size === 0) continue;
    out.set(name, new Map([...scope.entries].map(([k, e]) => [k, Buffer.from(e.bytes).toString('base64')])));
  }
  return out;
}

test('southbound - incremental compile equals a full recompute, and agents equal a fresh snapshot', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const hosts = ['i1', 'i2', 'i3'];
    const agents: TestAgent[] = [];
    for (const [i, h] of hosts.entries()) agents.push(await f.agent(c.address, h, { datapathIp: `192.0.2.${40 + i}` }));
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const nets = [await createNetwork(c.api), await createNetwork(c.api)];
    const subs = [await createSubnet(c.api, nets[0] as string, '10.40.0.0/24'), await createSubnet(c.api, nets[0] as string, '10.40.1.0/24'), await createSubnet(c.api, nets[1] as string, '10.41.0.0/24')];
    const subnetNet = [0, 0, 1];
    const ports: string[] = [];
    for (let step = 0; step < 120; step++) {
      const op = rand(10);
      if (op < 4 || ports.length < 3) {
        const s = rand(3);
        const host = rand(4) === 3 ? '' : (hosts[rand(3)] as string);
        ports.push(await createPort(c.api, { networkId: nets[subnetNet[s] as number] as string, subnetId: subs[s] as string, ip: `10.${s === 2 ? 41 : 40}.${s === 1 ? 1 : 0}.${10 + step}`, host }));
      } else if (op < 7) {
        await bindPort(c.api, ports[rand(ports.length)] as string, rand(4) === 3 ? '' : (hosts[rand(3)] as string));
      } else if (op < 9) {
        const [victim] = ports.splice(rand(ports.length), 1);
        await deletePort(c.api, victim as string);
      } else {
        await setHostRoutes(c.api, subs[rand(3)] as string, [{ destination: `172.16.${step}.0/24`, nexthop: '10.40.0.1' }]);
      }
    }
    await c.southbound.notify();
    const fresh = new DataPlaneManager(c.store);
    await fresh.start();
    assert.deepEqual(scopeDump(c.southbound.manager), scopeDump(fresh), 'incremental scopes == recomputed scopes');
    await fresh.close();
    await converged(c, agents, hosts, 10_000);
  }),
);
