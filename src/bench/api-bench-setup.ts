/**
 * The parts of `alcor bench api` around the port phases: the project's port quota, the network and
 * subnet create phase, and deleting what the run created.
 */
import { runConcurrently } from './concurrency.js';
import type { NeutronClient } from './neutron-client.js';
import { summarize, type LatencySummary } from './stats.js';

/** Network creates, each followed by a subnet create on the new network. */
export interface NetworkCreateResult {
  network: LatencySummary;
  subnet: LatencySummary;
  /** Server CPU time per create (networks and subnets together); null when the server is not local. */
  serverCpuMsPerRequest: number | null;
}

/**
 * Creates `samples` networks one at a time, each with a /24 subnet, timing both creates; deletes them
 * afterwards (not timed). `cpuNow` and `cpuPer` read the server's CPU time around the phase.
 */
export async function measureNetworkCreates(
  client: NeutronClient,
  samples: number,
  cpuNow: () => number | undefined,
  cpuPer: (before: number | undefined, requests: number) => number | null,
): Promise<NetworkCreateResult> {
  const networkMs: number[] = [];
  const subnetMs: number[] = [];
  const created: string[] = [];
  const before = cpuNow();
  try {
    for (let i = 0; i < samples; i++) {
      const net = await client.expectOk('POST', '/v2.0/networks', { network: { name: `alcor-bench-net-${i}` } });
      networkMs.push(net.ms);
      const id = String(net.body.network.id);
      created.push(id);
      const subnet = await client.expectOk('POST', '/v2.0/subnets', {
        subnet: { network_id: id, ip_version: 4, cidr: `192.168.${i % 256}.0/24`, name: `alcor-bench-subnet-${i}`, enable_dhcp: false },
      });
      subnetMs.push(subnet.ms);
    }
    return { network: summarize(networkMs), subnet: summarize(subnetMs), serverCpuMsPerRequest: cpuPer(before, 2 * samples) };
  } finally {
    // A network's subnets go with it.
    for (const id of created) await client.expectOk('DELETE', `/v2.0/networks/${id}`);
  }
}

/**
 * Lifts the project's port quota (Neutron's default of 500 would stop the run) and returns how to put
 * the old limits back. Needs admin rights; without them the run goes on and may hit OverQuota.
 */
export async function liftPortQuota(client: NeutronClient, project: string, log: (line: string) => void): Promise<(() => Promise<void>) | undefined> {
  const path = `/v2.0/quotas/${encodeURIComponent(project)}`;
  const before = await client.request('GET', path);
  const raised = await client.request('PUT', path, { quota: { port: -1 } });
  if (raised.status !== 200) {
    log(`could not lift the port quota of project ${project} (${raised.status}); the run may hit OverQuota`);
    return undefined;
  }
  const previous = (before.body as { quota?: { port?: number } } | undefined)?.quota?.port;
  return async () => {
    if (previous !== undefined) await client.request('PUT', path, { quota: { port: previous } });
  };
}

/** Deletes a network after its ports, a page at a time (a network with ports on it is in use, as in Neutron). */
export async function deleteNetworkAndPorts(client: NeutronClient, networkId: string, concurrency: number): Promise<void> {
  for (;;) {
    const page = await client.expectOk('GET', `/v2.0/ports?network_id=${networkId}&fields=id&limit=1000`);
    const ids = ((page.body as { ports: { id: string }[] }).ports ?? []).map((p) => p.id);
    if (ids.length === 0) break;
    await runConcurrently(ids.length, concurrency, async (i) => {
      await client.expectOk('DELETE', `/v2.0/ports/${ids[i] ?? ''}`);
    });
  }
  await client.expectOk('DELETE', `/v2.0/networks/${networkId}`);
}
