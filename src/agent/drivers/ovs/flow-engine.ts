/**
 * Incremental flow computation. Each flow owner (`base`, `port/<id>`, `neighbor/<id>`, `subnet/<id>`,
 * `router/<id>`) is compiled from the desired state through a recording context; the lookups it made
 * become its dependencies. `update(changedKeys)` recompiles only the owners that are changed themselves
 * or read a changed key, so the work of one change does not depend on how many resources exist, and
 * `recompute()` rebuilds everything. Both leave the ledger in the same state (tested).
 */
import type { DesiredStateView } from '../../driver.js';
import { compileBase, compileNeighbor, compileRouter, compileSubnet } from './compile-network.js';
import { compilePort } from './compile-port.js';
import type { CompileContext, DependencyKey, HostFacts } from './context.js';
import type { FlowMod, FlowSpec } from './flow.js';
import { FlowLedger } from './flow-ledger.js';

/** Inputs of flow computation. */
export interface FlowInputs {
  readonly view: DesiredStateView;
  /** OpenFlow ports of plugged interfaces by port id. */
  readonly ofports: ReadonlyMap<string, number>;
  readonly host: HostFacts;
}

const OWNER_KINDS = new Set(['port', 'neighbor', 'subnet', 'router']);

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
    default:
      return [];
  }
}

function recordingContext(inputs: FlowInputs, deps: Set<DependencyKey>): CompileContext {
  const { view } = inputs;
  const get = <K extends 'vpc' | 'subnet' | 'port' | 'neighbor' | 'securityGroup' | 'router' | 'dhcp'>(kind: K, id: string) => {
    deps.add(`${kind}/${id}`);
    return view[kind].get(id);
  };
  return {
    host: inputs.host,
    vpc: (id) => get('vpc', id),
    subnet: (id) => get('subnet', id),
    port: (id) => get('port', id),
    neighbor: (id) => get('neighbor', id),
    securityGroup: (id) => get('securityGroup', id),
    router: (id) => get('router', id),
    dhcp: (id) => get('dhcp', id),
    ofport: (id) => {
      deps.add(`iface/${id}`);
      const ofport = inputs.ofports.get(id);
      return ofport !== undefined && ofport > 0 ? ofport : undefined;
    },
  };
}

/** Owners and dependency index over a flow ledger. */
export class FlowEngine {
  private ledger = new FlowLedger();
  /** Dependency key → owners that read it. */
  private readers = new Map<DependencyKey, Set<string>>();
  /** Owner → the keys it read. */
  private reads = new Map<string, Set<DependencyKey>>();
  /** Owners compiled by the last `update`/`recompute` (for tests and stats). */
  lastCompiled = 0;

  /** Recompiles the owners affected by `changed` keys (`<kind>/<id>` or `iface/<portId>`). */
  update(inputs: FlowInputs, changed: Iterable<DependencyKey>): FlowMod[] {
    const owners = new Set<string>();
    for (const key of changed) {
      if (OWNER_KINDS.has(key.slice(0, key.indexOf('/')))) owners.add(key);
      for (const owner of this.readers.get(key) ?? []) owners.add(owner);
    }
    if (!this.reads.has('base')) owners.add('base');
    const mods: FlowMod[] = [];
    for (const owner of owners) mods.push(...this.compile(inputs, owner));
    this.lastCompiled = owners.size;
    return [...mods.filter((m) => m.op === 'delete'), ...mods.filter((m) => m.op === 'add')];
  }

  /** Rebuilds every owner from the desired state; returns the modifications from the previous table. */
  recompute(inputs: FlowInputs): FlowMod[] {
    const owners = new Set<string>(['base']);
    for (const kind of ['port', 'neighbor', 'subnet', 'router'] as const) {
      for (const id of inputs.view[kind].keys()) owners.add(`${kind}/${id}`);
    }
    for (const owner of this.reads.keys()) owners.add(owner);
    const mods: FlowMod[] = [];
    for (const owner of owners) mods.push(...this.compile(inputs, owner));
    this.lastCompiled = owners.size;
    return [...mods.filter((m) => m.op === 'delete'), ...mods.filter((m) => m.op === 'add')];
  }

  /** Forgets everything (the next recompute starts from an empty table). */
  reset(): void {
    this.ledger = new FlowLedger();
    this.readers = new Map();
    this.reads = new Map();
  }

  private compile(inputs: FlowInputs, owner: string): FlowMod[] {
    const deps = new Set<DependencyKey>();
    const flows = compileOwner(owner, recordingContext(inputs, deps));
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
    const kind = owner.slice(0, slash) as 'port' | 'neighbor' | 'subnet' | 'router';
    return inputs.view[kind]?.has(owner.slice(slash + 1)) ?? false;
  }

  /** The desired flows by cookie. */
  desired(): Map<bigint, { text: string; owner: string }> {
    return this.ledger.desired();
  }

  /** Number of desired flows. */
  get flowCount(): number {
    return this.ledger.size;
  }
}
