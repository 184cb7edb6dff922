/**
 * Port-to-ping latency on a testbed with a real controller and real `alcor-agent --driver ovs`
 * processes: time from `POST /v2.0/ports` with `binding:host_id` to the first ping answered by the new
 * VM from a VM on another host. Like Nova, the VM is plugged right after the port is created and boots
 * (here: runs DHCP) once the port is ACTIVE; DHCP is included in the time. The network is dual stack (a
 * SLAAC subnet on a router): the first ping6 to the port's API address is timed from the same POST,
 * concurrently with DHCP (SLAAC from the agent's router advertisements).
 */
import { buildApiServer } from '../api/server.js';
import { compileServerOptions } from '../config.js';
import { createServices } from '../services/services.js';
import { notifyingStore, startSouthbound } from '../southbound/southbound.js';
import { openStore } from '../store/open-store.js';
import { AgentProcess } from '../testbed/agent-process.js';
import type { Testbed } from '../testbed/testbed.js';
import type { Vm } from '../testbed/vm.js';
import { summarize, type LatencySummary } from './stats.js';

/** Results of the latency benchmark. */
export interface PortToPingResult {
  samples: number;
  /** POST → first answered ping, DHCP included. */
  portToPing: LatencySummary;
  /** POST → port status ACTIVE (the agent acked the goal state). */
  portToActive: LatencySummary;
  /** Creating and plugging the VM namespace (the "Nova" part, inside POST → ACTIVE). */
  vmPlug: LatencySummary;
  /** The VM's DHCP exchange alone. */
  dhcp: LatencySummary;
  /** POST → first answered ping6 to the port's SLAAC address. */
  portToPing6: LatencySummary;
}

/** True once the VM has `ip` configured and past duplicate address detection. */
async function hasAddress(vm: Vm, ip: string): Promise<boolean> {
  const out = await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'], { allowFailure: true });
  return out.stdout.split('\n').some((line) => line.includes(`inet6 ${ip}/`) && !line.includes('tentative'));
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `samples` port creations on host h1, pinged from a VM on h2. */
export async function benchPortToPing(testbed: Testbed, samples: number, log: (line: string) => void): Promise<PortToPingResult> {
  const config = compileServerOptions({ listen: '127.0.0.1:0', databaseUrl: 'sqlite::memory:', logLevel: 'silent' });
  const store = await openStore(config.database);
  const southbound = await startSouthbound(store, { listen: '127.0.0.1:0' });
  const app = await buildApiServer({ config, services: createServices(notifyingStore(store, () => void southbound.notify()), config), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', 'x-project-id': 'bench', 'x-roles': 'admin' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const agents = testbed.hosts.slice(0, 2).map((host) => new AgentProcess(host, testbed, `127.0.0.1:${southbound.port}`));
  try {
    for (const a of agents) a.start();
    await until(async () => (await store.read((q) => q.all('SELECT host FROM hosts WHERE connected = 1'))).length >= 2, 30_000, 'agents connected');
    const network = (await api('POST', '/v2.0/networks', { network: { name: 'bench' } })).network;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.77.0.0/16', ip_version: 4 } });
    const v6 = (await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: 'fd00:77::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } })).subnet;
    const router = (await api('POST', '/v2.0/routers', { router: { name: 'bench' } })).router;
    await api('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: v6.id });
    const newPort = async (host: string) => {
      const port = (await api('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': host } })).port;
      return port as { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> };
    };
    const addressOf = (port: { fixed_ips: Array<{ ip_address: string }> }, v6Address: boolean) => port.fixed_ips.find((f) => f.ip_address.includes(':') === v6Address)!.ip_address;
    const active = (id: string) => until(async () => (await api('GET', `/v2.0/ports/${id}`)).port.status === 'ACTIVE', 30_000, `port ${id} ACTIVE`);
    const targetPort = await newPort('h2');
    const target = await testbed.addVm({ name: 'lat-target', host: 'h2', portId: targetPort.id, mac: targetPort.mac_address });
    await active(targetPort.id);
    await until(() => target.dhcp().catch(() => undefined), 30_000, 'target DHCP');
    await until(() => hasAddress(target, addressOf(targetPort, true)), 30_000, 'target SLAAC');
    const toPing: number[] = [];
    const toPing6: number[] = [];
    const toActive: number[] = [];
    const dhcp: number[] = [];
    const plug: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const port = await newPort('h1');
      const tPlug0 = performance.now();
      const vm = await testbed.addVm({ name: `lat-${i}`, host: 'h1', portId: port.id, mac: port.mac_address });
      plug.push(performance.now() - tPlug0);
      const ip6 = addressOf(port, true);
      const ping6 = until(() => hasAddress(vm, ip6), 30_000, `SLAAC ${ip6}`)
        .then(() => until(() => target.ping(ip6, { timeoutSeconds: 1 }), 30_000, `ping6 ${ip6}`))
        .then(() => performance.now());
      await active(port.id);
      const tActive = performance.now();
      await until(() => vm.dhcp({ tries: 10, timeoutSeconds: 1 }).catch(() => undefined), 30_000, 'DHCP');
      const tDhcp = performance.now();
      const ip = addressOf(port, false);
      await until(() => target.ping(ip, { timeoutSeconds: 1 }), 30_000, `ping ${ip}`);
      const t1 = performance.now();
      toPing6.push((await ping6) - t0);
      toPing.push(t1 - t0);
      toActive.push(tActive - t0);
      dhcp.push(tDhcp - tActive);
      log(`sample ${i + 1}/${samples}: ${Math.round(t1 - t0)} ms (active ${Math.round(tActive - t0)} ms, dhcp ${Math.round(tDhcp - tActive)} ms, ping6 ${Math.round(toPing6[i]!)} ms)`);
    }
    return { samples, portToPing: summarize(toPing), portToActive: summarize(toActive), vmPlug: summarize(plug), dhcp: summarize(dhcp), portToPing6: summarize(toPing6) };
  } finally {
    for (const a of agents) await a.kill();
    await app.close();
    await southbound.close();
    await store.close();
  }
}
