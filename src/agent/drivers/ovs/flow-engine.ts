/**
 * Incremental flow computation. Each flow owner (`base`, `port/<id>`, `neighbor/<id>`, `subnet/<id>`,
 * `router/<id>`, `vpc/<id>` for flooding) is compiled from the desired state through a recording
 * context; the lookups it made become its dependencies. `update(changedKeys)` recompiles only the
 * owners that are changed themselves or read a changed key, so the work of one change does not depend
 * on how many resources exist, and `recompute()` rebuilds everything. Both leave the ledger in the same
 * state (tested).
 */
import type { DesiredStateView } from '../../driver.js';
import { compileFlood, FloodIndex } from './compile-flood.js';
import { compileBase, compileNeighbor, compileRouter, compileSubnet } from './compile-network.js';
import { compilePort } from './compile-port.js';
import { nexthopReferences, remoteGroupReferences, type CompileContext, type DependencyKey, type FloodTargets, type HostFacts } from './context.js';
import type { FlowMod, FlowSpec } from './flow.js';
import { FlowLedger } from './flow-ledger.js';

/** Inputs of flow computation. */
export interface FlowInputs {
  readonly view: DesiredStateView;
  /** OpenFlow ports of plugged interfaces by port id. */
  readonly ofports: ReadonlyMap<string, number>;
  readonly host: HostFacts;
  /** External next hops' MACs the agent resolved (gateway-arp.ts). */
  readonly externalMacs?: ReadonlyMap<string, string>;
}

const OWNER_KINDS = new Set(['port', 'neighbor', 'subnet', 'router', 'vpc']);

function compileOwner(owner: string, ctx: CompileContext): FlowSpec[] {
  if (owner === 'base') return compileBase(ctx);
  const slash = owner.indexOf('/');
  const kind = owner.slice(0, slash);
  const id = owner.slice(slash + 1);
  switch (kind) {
    case 'port':
      return compilePort(ctx, id);
    case 'neighbor':
      return compileNeighbor(ctx, id);
    case 'subnet':
      return compileSubnet(ctx, id);
    case 'router':
      return compileRouter(ctx, id);
    case 'vpc':
      return compileFlood(ctx, id);
    default:
      return [];
  }
}

/** A compile context whose lookups are recorded into `deps`; one instance is reused for every owner. */
class RecordingContext implements CompileContext {
  deps = new Set<DependencyKey>();
  constructor(
    private readonly inputs: FlowInputs,
    private readonly refs: ReadonlySet<string>,
    private readonly nexthops: ReadonlySet<string>,
    private readonly flood: FloodIndex,
  ) {}
  floodTargets(vpcId: string): FloodTargets | undefined {
    this.deps.add(`flood/${vpcId}`);
    return this.flood.targets(vpcId);
  }
  remoteGroupReferenced(groupId: string, direction: 'ingress' | 'egress'): boolean {
    const key = `${groupId}|${direction}`;
    this.deps.add(`sgref/${key}`);
    return this.refs.has(key);
  }
  externalMac(ip: string): string | undefined {
    this.deps.add(`extmac/${ip}`);
    return this.inputs.externalMacs?.get(ip);
  }
  nexthopReferenced(ip: string): boolean {
    this.deps.add(`nexthop/${ip}`);
    return this.nexthops.has(ip);
  }
  get host(): HostFacts {
    return this.inputs.host;
  }
  private get<K extends 'vpc' | 'subnet' | 'port' | 'neighbor' | 'securityGroup' | 'router' | 'dhcp'>(kind: K, id: string) {
    this.deps.add(`${kind}/${id}`);
    return this.inputs.view[kind].get(id);
  }
  vpc(id: string) {
    return this.get('vpc', id);
  }
  subnet(id: string) {
    return this.get('subnet', id);
  }
  port(id: string) {
    return this.get('port', id);
  }
  neighbor(id: string) {
    return this.get('neighbor', id);
  }
  securityGroup(id: string) {
    return this.get('securityGroup', id);
  }
  router(id: string) {
    return this.get('router', id);
  }
  dhcp(id: string) {
    return this.get('dhcp', id);
  }
  ofport(portId: string) {
    this.deps.add(`iface/${portId}`);
    const ofport = this.inputs.ofports.get(portId);
    return ofport !== undefined && ofport > 0 ? ofport : undefined;
  }
}

/** Owners and dependency index over a flow ledger. */
export class FlowEngine {
  private ledger = new FlowLedger();
  /** Dependency key → owners that read it. */
  private readers = new Map<DependencyKey, Set<string>>();
  /** Owner → the keys it read. */
  private reads = new Map<string, Set<DependencyKey>>();
  /** Remote-group references of the local security groups (`<group>|<direction>`). */
  private refs = new Set<string>();
  /** Next hops of the local routers' extra routes. */
  private nexthops = new Set<string>();
  /** Flood targets of the networks with ports without port security. */
  private flood = new FloodIndex();
  /** Owners compiled by the last `update`/`recompute` (for tests and stats). */
  lastCompiled = 0;

  /** Recompiles the owners affected by `changed` keys (`<kind>/<id>` or `iface/<portId>`). */
  update(inputs: FlowInputs, changed: Iterable<DependencyKey>): FlowMod[] {
    const owners = new Set<string>();
    const keys = [...changed];
    if (keys.some((k) => k.startsWith('securityGroup/'))) {
      // A rule that starts or stops referencing a remote group changes that group's member flows.
      const refs = remoteGroupReferences(inputs.view.securityGroup.values());
      for (const ref of refs) if (!this.refs.has(ref)) keys.push(`sgref/${ref}`);
      for (const ref of this.refs) if (!refs.has(ref)) keys.push(`sgref/${ref}`);
      this.refs = refs;
    }
    if (keys.some((k) => k.startsWith('router/'))) {
      // A route that starts or stops using a next hop adds or removes that address's NEXTHOP entry.
      const nexthops = nexthopReferences(inputs.view.router.values());
      for (const ip of nexthops) if (!this.nexthops.has(ip)) keys.push(`nexthop/${ip}`);
      for (const ip of this.nexthops) if (!nexthops.has(ip)) keys.push(`nexthop/${ip}`);
      this.nexthops = nexthops;
    }
    // A port without port security that appears, goes or moves changes its network's flood flows.
    for (const vpcId of this.flood.update(inputs.view, inputs.ofports, inputs.host, [...keys])) keys.push(`flood/${vpcId}`);
    for (const key of keys) {
      if (OWNER_KINDS.has(key.slice(0, key.indexOf('/')))) owners.add(key);
      for (const owner of this.readers.get(key) ?? []) owners.add(owner);
    }
    if (!this.reads.has('base')) owners.add('base');
    this.lastCompiled = owners.size;
    return this.compileAll(inputs, owners);
  }

  /** Rebuilds every owner from the desired state; returns the modifications from the previous table. */
  recompute(inputs: FlowInputs): FlowMod[] {
    const owners = new Set<string>(['base']);
    for (const kind of ['port', 'neighbor', 'subnet', 'router', 'vpc'] as const) {
      for (const id of inputs.view[kind].keys()) owners.add(`${kind}/${id}`);
    }
    for (const owner of this.reads.keys()) owners.add(owner);
    this.refs = remoteGroupReferences(inputs.view.securityGroup.values());
    this.nexthops = nexthopReferences(inputs.view.router.values());
    this.flood.rebuild(inputs.view, inputs.ofports, inputs.host);
    this.lastCompiled = owners.size;
    return this.compileAll(inputs, owners);
  }

  private compileAll(inputs: FlowInputs, owners: Iterable<string>): FlowMod[] {
    const ctx = new RecordingContext(inputs, this.refs, this.nexthops, this.flood);
    const deletes: FlowMod[] = [];
    const adds: FlowMod[] = [];
    for (const owner of owners) {
      for (const mod of this.compile(ctx, inputs, owner)) (mod.op === 'delete' ? deletes : adds).push(mod);
    }
    return deletes.length === 0 ? adds : [...deletes, ...adds];
  }

  /** Forgets everything (the next recompute starts from an empty table). */
  reset(): void {
    this.ledger = new FlowLedger();
    this.refs = new Set();
    this.nexthops = new Set();
    this.flood = new FloodIndex();
    this.readers = new Map();
    this.reads = new Map();
  }

  private compile(ctx: RecordingContext, inputs: FlowInputs, owner: string): FlowMod[] {
    const deps = new Set<DependencyKey>();
    ctx.deps = deps;
    const flows = compileOwner(owner, ctx);
    for (const key of this.reads.get(owner) ?? []) this.readers.get(key)?.delete(owner);
    const stillDesired = owner === 'base' || this.ownerDesired(inputs, owner);
    if (stillDesired) {
      this.reads.set(owner, deps);
      for (const key of deps) {
        let set = this.readers.get(key);
        if (!set) this.readers.set(key, (set = new Set()));
        set.add(owner);
      }
    } else this.reads.delete(owner);
    return this.ledger.replace(owner, stillDesired ? flows : []);
  }

  private ownerDesired(inputs: FlowInputs, owner: string): boolean {
    const slash = owner.indexOf('/');
    const kind = owner.slice(0, slash) as 'port' | 'neighbor' | 'subnet' | 'router' | 'vpc';
    return inputs.view[kind]?.has(owner.slice(slash + 1)) ?? false;
  }

  /** The desired flows by cookie. */
  desired(): ReadonlyMap<bigint, { readonly text: string; readonly owner: string }> {
    return this.ledger.desired();
  }

  /** Number of desired flows. */
  get flowCount(): number {
    return this.ledger.size;
  }
}
