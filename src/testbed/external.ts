/**
 * The testbed's external network (`alcor testbed up --external`): a namespace standing for the world
 * outside the cloud, on the flat provider network `physnet1` (203.0.113.0/24, TEST-NET-3). It holds a
 * Linux bridge with the external host's address (203.0.113.1, the provider subnet's gateway), and one
 * veth per host whose other end is a port of that host's `br-ex` — the bridge each host's agent maps
 * `physnet1` to (`--bridge-mapping physnet1:br-ex`). br-ex stays a plain learning switch (NORMAL).
 */
import { run, runIn, type RunOptions, type RunResult } from './exec.js';
import type { OvsHost } from './ovs-host.js';

/** The physical network the external namespace is on. */
export const EXTERNAL_PHYSNET = 'physnet1';
/** The bridge every host maps it to. */
export const EXTERNAL_BRIDGE = 'br-ex';
/** The external network's CIDR. */
export const EXTERNAL_CIDR = '203.0.113.0/24';
/** The external host's address (also the provider subnet's gateway). */
export const EXTERNAL_HOST_IP = '203.0.113.1';

/** The external namespace of a run. */
export class ExternalNetwork {
  constructor(readonly netns: string) {}

  /** Creates the namespace with its bridge and address. */
  async create(): Promise<void> {
    await run('sh', ['-c', [
      `ip netns add ${this.netns}`,
      `ip -n ${this.netns} link set lo up`,
      `ip -n ${this.netns} link add br0 type bridge`,
      `ip -n ${this.netns} link set br0 up`,
      `ip -n ${this.netns} addr add ${EXTERNAL_HOST_IP}/24 dev br0`,
      // The userspace datapath does not complete checksums left to "hardware" (see vm.ts).
      `ip netns exec ${this.netns} ethtool -K br0 tx off >/dev/null 2>&1 || true`,
    ].join(' && ')]);
  }

  /** Wires a host: a veth from the external bridge to a port of the host's br-ex (created here). */
  async attach(host: OvsHost, index: number): Promise<void> {
    const peer = `h${index}`;
    await run('sh', ['-c', [
      `ip link add ex0 netns ${host.netns} type veth peer name ${peer} netns ${this.netns}`,
      `ip -n ${this.netns} link set ${peer} master br0 up`,
      `ip netns exec ${this.netns} ethtool -K ${peer} tx off >/dev/null 2>&1 || true`,
      `ip -n ${host.netns} link set ex0 up`,
    ].join(' && ')]);
    await host.vsctl([
      '--', '--may-exist', 'add-br', EXTERNAL_BRIDGE, '--', 'set', 'bridge', EXTERNAL_BRIDGE, 'datapath_type=netdev',
      '--', '--may-exist', 'add-port', EXTERNAL_BRIDGE, 'ex0',
    ]);
  }

  /** Runs a command in the external namespace. */
  exec(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return runIn(this.netns, file, args, options);
  }
}
