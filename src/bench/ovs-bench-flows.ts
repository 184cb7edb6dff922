/**
 * OVS driver benchmarks on a testbed (no controller): how fast a full desired state of N neighbors is
 * programmed (compile + one bundle), what one incremental neighbor costs, and how long an agent restart
 * resync takes with N neighbors installed — while two real VMs ping each other every 10 ms, to count
 * lost replies. Flow programming is also compared, flow set by flow set in the same run, between the
 * driver's binary bundles and `ovs-ofctl --bundle add-flows` of the same flows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView, DriverContext } from '../agent/driver.js';
import { applyFlowMods } from '../agent/drivers/ovs/flow-bundle.js';
import { FlowEngine } from '../agent/drivers/ovs/flow-engine.js';
import { bundleLine, type FlowMod } from '../agent/drivers/ovs/flow.js';
import { OfConnection } from '../agent/drivers/ovs/of-connection.js';
import { OvsDriver } from '../agent/drivers/ovs/ovs-driver.js';
import {
  DhcpStateSchema,
  NeighborStateSchema,
  PortStateSchema,
  SecurityGroupStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
} from '../proto/alcor/v1/goal_state_pb.js';
import { run } from '../testbed/exec.js';
import type { Testbed } from '../testbed/testbed.js';
import { round } from './stats.js';

/** Results of the flow benchmarks. */
export interface OvsFlowBenchResult {
  neighbors: number;
  flows: number;
  /** Full apply of the whole state on an empty bridge (compile + bundle), ms. */
  fullApplyMs: number;
  /** Flows per second of that full apply. */
  flowsPerSecond: number;
  /** Phases of the full apply: compute desired flows, read installed cookies, program the bundle (ms). */
  fullApplyPhases: OvsDriver['lastResync'];
  /** Flows per second of the bundle alone (encoding + ovs-vswitchd). */
  bundleFlowsPerSecond: number;
  /** Phases of the restart resync (ms). */
  restartPhases: OvsDriver['lastResync'];
  /** Adding one neighbor to N (delta apply), ms. */
  oneNeighborDeltaMs: number;
  /** Agent restart: new driver start() + full reconcile with everything installed, ms. */
  restartResyncMs: number;
  /** Flow modifications the restart made (should be 0). */
  restartFlowMods: number;
  /**
   * Calibration on the same machine at the same time: 50,000 one-table L2 tunnel flows in one
   * ovs-ofctl bundle on an empty bridge (DESIGN.md §7 measured 0.70 s on a quiet machine), and the
   * same flows as the driver's binary bundle.
   */
  reference: BundlePaths;
  /** The full desired state's flows (as the full apply programs them) through both paths. */
  desiredFlows: BundlePaths;
  /** Pings sent / answered every 10 ms across the restart. */
  pingsSent: number;
  pingsReceived: number;
}

/** One flow set programmed on an empty scratch bridge through ovs-ofctl and through the native path. */
export interface BundlePaths {
  flows: number;
  ofctlMs: number;
  nativeMs: number;
  /** ovs-ofctl time ÷ native time. */
  speedup: number;
  /** CPU time of ovs-vswitchd during each, ms. */
  vswitchdCpuMs: { ofctl: number; native: number };
}

type View = { [K in keyof DesiredStateView]: Map<string, DesiredStateView[K] extends ReadonlyMap<string, infer V> ? V : never> };

const mac = (i: number) => `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const ip = (i: number) => `10.${20 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${i & 255}`;

/** The desired state of `host`: one /8 network, the two VM ports, N remote neighbors on 50 fake hosts. */
function syntheticView(host: string, neighbors: number, vms: Array<{ id: string; host: string; hostIp: string; index: number }>): View {
  const v: View = { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map(), neighbor: new Map() };
  v.vpc.set('bench-net', create(VpcStateSchema, { id: 'bench-net', segmentationId: 4242, mtu: 1450, portSecurityEnabled: true }));
  v.subnet.set('bench-sub', create(SubnetStateSchema, { id: 'bench-sub', vpcId: 'bench-net', ipVersion: 4, cidr: '10.0.0.0/8', gatewayIp: '10.0.0.1', enableDhcp: true, segmentationId: 4242 }));
  v.securityGroup.set('bench-sg', create(SecurityGroupStateSchema, { id: 'bench-sg', stateful: true, rules: [{ id: 'e', direction: 'egress', ethertype: 'IPv4' }, { id: 'i', direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'bench-sg' }] }));
  const all = [...vms.map((vm) => ({ id: vm.id, index: vm.index, host: vm.host, hostIp: vm.hostIp })), ...Array.from({ length: neighbors }, (_, i) => ({ id: `nb-${i}`, index: 1000 + i, host: `fake-${i % 50}`, hostIp: `192.168.251.${1 + (i % 50)}` }))];
  for (const n of all) {
    const fixedIps = [{ subnetId: 'bench-sub', ipAddress: ip(n.index) }];
    v.neighbor.set(n.id, create(NeighborStateSchema, { id: n.id, vpcId: 'bench-net', macAddress: mac(n.index), fixedIps, hostId: n.host, hostIp: n.hostIp, securityGroupIds: ['bench-sg'] }));
    if (n.host !== host) continue;
    v.port.set(n.id, create(PortStateSchema, { id: n.id, vpcId: 'bench-net', macAddress: mac(n.index), fixedIps, adminStateUp: true, portSecurityEnabled: true, securityGroupIds: ['bench-sg'] }));
    v.dhcp.set(n.id, create(DhcpStateSchema, { id: n.id, subnetId: 'bench-sub', macAddress: mac(n.index), ipAddress: ip(n.index), gatewayIp: '10.0.0.1', prefixLength: 8, mtu: 1450 }));
  }
  return v;
}

function driverFor(testbed: Testbed, name: string): OvsDriver {
  const host = testbed.host(name);
  const context: DriverContext = { hostId: name, datapathIp: host.underlayIp, stateDir: host.rundir, options: { rundir: host.rundir, 'datapath-type': 'netdev' }, log: () => undefined };
  return new OvsDriver(context);
}

/** 50,000 one-table tunnel flows (DESIGN.md §7's calibration set). */
function referenceFlows(): FlowMod[] {
  return Array.from({ length: 50_000 }, (_, i) => ({
    op: 'add' as const,
    cookie: BigInt(i + 1),
    owner: `ref/${i % 100}`,
    text: `table=0,priority=100,reg6=${1 + (i % 100)},dl_dst=${mac(i)} actions=set_field:${1 + (i % 100)}->tun_id,set_field:192.168.251.${1 + (i % 50)}->tun_dst,output:1`,
  }));
}

/** CPU time (user + system) of a host's ovs-vswitchd so far, ms. */
function vswitchdCpuMs(testbed: Testbed): number {
  const host = testbed.host('h1');
  const pid = readFileSync(join(host.rundir, 'ovs-vswitchd.pid'), 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Programs `mods` on a fresh scratch bridge through ovs-ofctl, then on another through the native path. */
async function compareBundlePaths(testbed: Testbed, mods: readonly FlowMod[]): Promise<BundlePaths> {
  const host = testbed.host('h1');
  const bridge = async (name: string) => host.vsctl(['--', '--may-exist', 'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', 'fail_mode=secure', 'protocols=OpenFlow14']);
  await bridge('br-ref1');
  await bridge('br-ref2');
  const input = mods.map(bundleLine).join('\n') + '\n';
  let cpu = vswitchdCpuMs(testbed);
  let started = performance.now();
  await run('ovs-ofctl', ['-O', 'OpenFlow14', '--bundle', 'add-flows', host.mgmtSocket('br-ref1'), '-'], { env: host.env, input, timeoutMs: 300_000 });
  const ofctlMs = performance.now() - started;
  const ofctlCpu = vswitchdCpuMs(testbed) - cpu;
  const connection = new OfConnection(host.mgmtSocket('br-ref2').replace(/^unix:/, ''), { packetIn: () => undefined });
  connection.start();
  try {
    if (!(await connection.waitReady(10_000))) throw new Error('no openflow connection to br-ref2');
    cpu = vswitchdCpuMs(testbed);
    started = performance.now();
    await applyFlowMods(connection, mods);
  } finally {
    connection.close();
  }
  const nativeMs = performance.now() - started;
  const nativeCpu = vswitchdCpuMs(testbed) - cpu;
  await host.vsctl(['--if-exists', 'del-br', 'br-ref1', '--', '--if-exists', 'del-br', 'br-ref2']);
  return {
    flows: mods.length,
    ofctlMs: round(ofctlMs),
    nativeMs: round(nativeMs),
    speedup: Math.round((ofctlMs / nativeMs) * 100) / 100,
    vswitchdCpuMs: { ofctl: Math.round(ofctlCpu), native: Math.round(nativeCpu) },
  };
}

/** Runs the flow benchmarks on a testbed with at least two hosts. */
export async function benchOvsFlows(testbed: Testbed, neighbors: number, log: (line: string) => void): Promise<OvsFlowBenchResult> {
  const reference = await compareBundlePaths(testbed, referenceFlows());
  log(`reference: 50000 simple flows in one bundle: ovs-ofctl ${reference.ofctlMs} ms, native ${reference.nativeMs} ms`);
  const vms = [
    { id: 'vm-1', host: 'h1', hostIp: testbed.host('h1').underlayIp, index: 1 },
    { id: 'vm-2', host: 'h2', hostIp: testbed.host('h2').underlayIp, index: 2 },
  ];
  const views = new Map(['h1', 'h2'].map((h) => [h, syntheticView(h, neighbors, vms)]));
  const h1 = testbed.host('h1');
  const desiredFlows = await compareBundlePaths(
    testbed,
    new FlowEngine().recompute({ view: views.get('h1')!, ofports: new Map(), host: { hostId: 'h1', datapathIp: h1.underlayIp, tunnelOfport: 4000 } }),
  );
  log(`desired flows: ${desiredFlows.flows} in one bundle: ovs-ofctl ${desiredFlows.ofctlMs} ms, native ${desiredFlows.nativeMs} ms`);
  const drivers = new Map<string, OvsDriver>();
  for (const h of ['h1', 'h2']) {
    const d = driverFor(testbed, h);
    await d.start();
    drivers.set(h, d);
  }
  const full = (h: string) => ({ revision: 1, mode: 'full' as const, changes: [], desired: views.get(h)! });
  let started = performance.now();
  await drivers.get('h1')!.apply(full('h1'));
  const fullApplyMs = performance.now() - started;
  const flows = drivers.get('h1')!.stats().installedEntries;
  const fullApplyPhases = drivers.get('h1')!.lastResync;
  log(`full apply: ${flows} flows in ${round(fullApplyMs)} ms`);
  await drivers.get('h2')!.apply(full('h2'));

  const vm1 = await testbed.addVm({ name: 'bench-vm1', host: 'h1', portId: 'vm-1', mac: mac(1) });
  const vm2 = await testbed.addVm({ name: 'bench-vm2', host: 'h2', portId: 'vm-2', mac: mac(2) });
  await vm1.setAddress(`${ip(1)}/8`);
  await vm2.setAddress(`${ip(2)}/8`);
  for (let i = 0; i < 100 && !(await vm1.ping(ip(2))); i++);

  const extra = create(NeighborStateSchema, { id: 'nb-extra', vpcId: 'bench-net', macAddress: mac(999_999), fixedIps: [{ subnetId: 'bench-sub', ipAddress: ip(999_999) }], hostId: 'fake-x', hostIp: '192.168.251.99' });
  views.get('h1')!.neighbor.set('nb-extra', extra);
  started = performance.now();
  await drivers.get('h1')!.apply({ revision: 2, mode: 'delta', changes: [{ kind: 'neighbor', id: 'nb-extra', desired: extra, previous: undefined }], desired: views.get('h1')! });
  const oneNeighborDeltaMs = performance.now() - started;
  log(`one neighbor delta: ${round(oneNeighborDeltaMs)} ms`);

  const pinger = vm1.spawn('ping', ['-n', '-i', '0.01', '-c', '400', '-W', '1', ip(2)]);
  let output = '';
  pinger.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const pingDone = new Promise<void>((resolve) => pinger.on('close', () => resolve()));
  await drivers.get('h1')!.close();
  started = performance.now();
  const fresh = driverFor(testbed, 'h1');
  await fresh.start();
  await fresh.apply({ revision: 2, mode: 'full', changes: [], desired: views.get('h1')! });
  const restartResyncMs = performance.now() - started;
  const restartFlowMods = fresh.details().flowModsTotal ?? -1;
  const restartPhases = fresh.lastResync;
  drivers.set('h1', fresh);
  log(`restart resync: ${round(restartResyncMs)} ms, ${restartFlowMods} flow mods`);
  await pingDone;
  for (const d of drivers.values()) await d.close();
  return {
    neighbors,
    flows,
    fullApplyMs: round(fullApplyMs),
    flowsPerSecond: Math.round(flows / (fullApplyMs / 1000)),
    fullApplyPhases,
    bundleFlowsPerSecond: fullApplyPhases ? Math.round(flows / (fullApplyPhases.programMs / 1000)) : 0,
    restartPhases,
    oneNeighborDeltaMs: round(oneNeighborDeltaMs),
    restartResyncMs: round(restartResyncMs),
    restartFlowMods,
    reference,
    desiredFlows,
    pingsSent: Number(/(\d+) packets transmitted/.exec(output)?.[1] ?? 0),
    pingsReceived: Number(/(\d+) received/.exec(output)?.[1] ?? 0),
  };
}
