/**
 * Networks, ports and VMs made through the public API for the end-to-end suites that run a controller:
 * a VM is plugged into its port like Nova plugs it, and boots by DHCP.
 */
import assert from 'node:assert/strict';
import type { Testbed } from '../../../src/testbed/testbed.js';
import type { Vm } from '../../../src/testbed/vm.js';
import { waitFor } from '../../harness/wait-for.js';
import type { E2eController } from './controller.js';

/** A port as the API returns it (the fields the suites read). */
export interface ApiPort {
  id: string;
  mac_address: string;
  project_id: string;
  fixed_ips: Array<{ ip_address: string; subnet_id: string }>;
  status: string;
}

/** The first fixed IP of a port. */
export const ipOf = (p: ApiPort): string => p.fixed_ips[0]!.ip_address;

/** A network with one IPv4 subnet. */
export async function apiNetwork(controller: E2eController, project: string, name: string, cidr: string): Promise<{ networkId: string; subnetId: string }> {
  const net = await controller.request('POST', '/v2.0/networks', { network: { name } }, { project });
  const sub = await controller.request('POST', '/v2.0/subnets', { subnet: { network_id: net.network.id, cidr, ip_version: 4, name: `${name}-sub` } }, { project });
  return { networkId: net.network.id, subnetId: sub.subnet.id };
}

/** A port bound to a host. */
export async function apiPort(controller: E2eController, project: string, networkId: string, host: string, extra: Record<string, unknown> = {}): Promise<ApiPort> {
  const body = { port: { network_id: networkId, 'binding:host_id': host, ...extra } };
  return (await controller.request('POST', '/v2.0/ports', body, { project })).port as ApiPort;
}

/** The port's current status. */
export async function apiPortStatus(controller: E2eController, p: ApiPort): Promise<string> {
  return (await controller.request('GET', `/v2.0/ports/${p.id}`, undefined, { project: p.project_id })).port.status as string;
}

/** Plugs a VM into the port (like Nova), waits for the port to turn ACTIVE, and boots it (DHCP). */
export async function apiVm(controller: E2eController, testbed: Testbed, name: string, host: string, p: ApiPort): Promise<Vm> {
  const vm = await testbed.addVm({ name, host, portId: p.id, mac: p.mac_address });
  await waitFor(async () => (await apiPortStatus(controller, p)) === 'ACTIVE', 30_000, `port ${p.id} ACTIVE once its VM is plugged`);
  const lease = await waitFor(() => vm.dhcp().catch(() => undefined), 30_000, `DHCP lease of ${name}`);
  assert.equal(lease.ip, ipOf(p), `${name} got its fixed IP by DHCP`);
  return vm;
}

/** The controller's latest revision. */
export async function latestRevision(controller: E2eController): Promise<number> {
  return Number((await controller.store.read((q) => q.get<{ r: number }>('SELECT MAX(revision) AS r FROM changes')))?.r);
}

/** True once every named host's agent acked a revision (only hosts the change concerns receive it). */
export function hostsAcked(controller: E2eController, hosts: string[], revision: number): boolean {
  return hosts.every((host) => (controller.southbound.server.sessions.get(host)?.ackedRevision ?? 0) >= revision);
}
