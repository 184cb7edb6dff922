/**
 * A test VM: a network namespace whose `eth0` is a veth whose peer is a port of its host's br-int,
 * tagged `external_ids:iface-id=<port id>` the way Nova/os-vif plugs ports. The VM gets its address
 * by DHCP from the agent (busybox udhcpc), and tests drive it with its own tools (ping, nc).
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { runIn, type RunOptions, type RunResult } from './exec.js';
import type { OvsHost } from './ovs-host.js';

/** Static description of a VM, also written to the run's state file. */
export interface VmSpec {
  name: string;
  netns: string;
  host: string;
  portId: string;
  mac: string;
  /** Name of the veth peer on br-int. */
  tap: string;
}

/** What the DHCP server handed out, as udhcpc exported it to its script. */
export interface DhcpLease {
  ip: string;
  /** Prefix length. */
  mask: number;
  router?: string;
  mtu?: number;
  dns: string[];
  /** Option 121 as udhcpc prints it: "dest/len gw dest/len gw ...". */
  staticRoutes?: string;
  leaseSeconds?: number;
  serverId?: string;
}

/** The udhcpc script: configures eth0 from the lease and records the lease as KEY=VALUE lines. */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ip link set "$interface" up
    ;;
  bound|renew)
    cur=$(ip -4 -o addr show dev "$interface" | awk '{print $4}')
    if [ "$cur" != "$ip/$mask" ]; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/$mask" dev "$interface"
    fi
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface" onlink; shift 2; done
    elif [ -n "$router" ]; then
      for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    fi
    {
      echo "ip=$ip"; echo "mask=$mask"; echo "router=$router"; echo "mtu=$mtu"; echo "dns=$dns"
      echo "staticroutes=$staticroutes"; echo "lease=$lease"; echo "serverid=$serverid"; echo "event=$1"
    } > "$LEASE_FILE"
    ;;
esac
exit 0
`;

/** A VM namespace attached to a host. */
export class Vm {
  constructor(
    readonly spec: VmSpec,
    readonly host: OvsHost,
    private readonly scriptPath: string,
    private readonly leasePath: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get netns(): string {
    return this.spec.netns;
  }
  get mac(): string {
    return this.spec.mac;
  }

  /** Runs a command inside the VM. */
  exec(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return runIn(this.spec.netns, file, args, options);
  }

  /** Starts a long-running command inside the VM (the caller kills it). */
  spawn(file: string, args: readonly string[], options: { stdin?: boolean } = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.spec.netns, file, ...args], { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  }

  /**
   * Gets an address by DHCP (DISCOVER/OFFER/REQUEST/ACK) and configures eth0 with it. `offered` lists the
   * address of every offer udhcpc selected during the run, from its log.
   */
  async dhcp(options: { tries?: number; timeoutSeconds?: number } = {}): Promise<DhcpLease & { offered: string[] }> {
    const tries = options.tries ?? 5;
    const timeout = options.timeoutSeconds ?? 1;
    const result = await this.exec(
      'busybox',
      ['udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', String(tries), '-T', String(timeout), '-s', this.scriptPath],
      { env: { LEASE_FILE: this.leasePath }, timeoutMs: (tries * timeout + 10) * 1000 },
    );
    const offered = [...(result.stdout + result.stderr).matchAll(/select for (\d+\.\d+\.\d+\.\d+)/gi)].map((m) => m[1]!);
    return { ...this.lease(), offered };
  }

  /** The lease udhcpc last recorded. */
  lease(): DhcpLease {
    const fields = new Map<string, string>();
    for (const line of readFileSync(this.leasePath, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const num = (key: string) => (fields.get(key) ? Number(fields.get(key)) : undefined);
    return {
      ip: fields.get('ip') ?? '',
      mask: num('mask') ?? 0,
      router: fields.get('router') || undefined,
      mtu: num('mtu'),
      dns: (fields.get('dns') ?? '').split(' ').filter(Boolean),
      staticRoutes: fields.get('staticroutes') || undefined,
      leaseSeconds: num('lease'),
      serverId: fields.get('serverid') || undefined,
    };
  }

  /** Sets a static address instead of DHCP (for spoofing tests). */
  async setAddress(cidr: string, gateway?: string): Promise<void> {
    await this.exec('ip', ['addr', 'flush', 'dev', 'eth0']);
    await this.exec('ip', ['addr', 'add', cidr, 'dev', 'eth0']);
    if (gateway) await this.exec('ip', ['route', 'replace', 'default', 'via', gateway, 'dev', 'eth0']);
  }

  /** Changes the VM's MAC (for spoofing tests). */
  async setMac(mac: string): Promise<void> {
    await this.exec('ip', ['link', 'set', 'eth0', 'address', mac]);
  }

  /** Sends `count` pings; true when at least one reply came back. */
  async ping(ip: string, options: { count?: number; timeoutSeconds?: number; ttl?: number } = {}): Promise<boolean> {
    const args = ['-n', '-c', String(options.count ?? 1), '-W', String(options.timeoutSeconds ?? 1)];
    if (options.ttl !== undefined) args.push('-t', String(options.ttl));
    const result = await this.exec('ping', [...args, ip], { allowFailure: true, timeoutMs: 60_000 });
    return result.code === 0;
  }

  /** Pings once and returns the TTL of the reply, or undefined without a reply. */
  async pingTtl(ip: string): Promise<number | undefined> {
    const result = await this.exec('ping', ['-n', '-c', '1', '-W', '2', ip], { allowFailure: true });
    const match = /ttl=(\d+)/.exec(result.stdout);
    return match ? Number(match[1]) : undefined;
  }
}
