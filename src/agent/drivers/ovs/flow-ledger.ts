/**
 * The desired flow table, by owner. Several owners may want a flow with the same identity (table,
 * priority, match) — e.g. two neighbors with the same address in different VPCs both contribute
 * remote-group membership — so the ledger keeps every contribution and derives one effective flow per
 * identity: conjunction-only flows are merged (their `conjunction(...)` actions unioned), anything else
 * is taken from the lowest owner key (deterministic). `replace()` returns exactly the flow
 * modifications that turn the previous effective table into the new one.
 */
import { flowCookie, flowText, matchKey, type FlowMod, type FlowSpec } from './flow.js';

/** The flow OVS holds for one identity. */
interface EffectiveFlow {
  cookie: bigint;
  text: string;
  owner: string;
}

function isConjunctionOnly(actions: string): boolean {
  return actions.startsWith('conjunction(') && actions.split(',').every((a) => a.startsWith('conjunction(') || /^\d+\/\d+\)$/.test(a));
}

function conjunctionActions(actions: string): string[] {
  return actions.match(/conjunction\(\d+,\d+\/\d+\)/g) ?? [];
}

function merge(a: FlowSpec, b: FlowSpec): FlowSpec {
  if (a.actions === b.actions) return a;
  if (isConjunctionOnly(a.actions) && isConjunctionOnly(b.actions)) {
    const union = [...new Set([...conjunctionActions(a.actions), ...conjunctionActions(b.actions)])].sort();
    return { ...a, actions: union.join(',') };
  }
  return a;
}

/** Effective desired flows with per-owner contributions. */
export class FlowLedger {
  private readonly byKey = new Map<string, Map<string, FlowSpec>>();
  private readonly byOwner = new Map<string, Map<string, FlowSpec>>();
  private readonly effective = new Map<string, EffectiveFlow>();

  /** Replaces everything `owner` contributes with `flows` and returns the resulting modifications. */
  replace(owner: string, flows: readonly FlowSpec[]): FlowMod[] {
    const next = new Map<string, FlowSpec>();
    for (const flow of flows) {
      const key = matchKey(flow);
      const existing = next.get(key);
      next.set(key, existing ? merge(existing, flow) : flow);
    }
    const previous = this.byOwner.get(owner) ?? new Map<string, FlowSpec>();
    const touched = new Set<string>();
    for (const [key, flow] of previous) {
      if (next.get(key)?.actions !== flow.actions) touched.add(key);
    }
    for (const [key, flow] of next) {
      if (previous.get(key)?.actions !== flow.actions) touched.add(key);
    }
    if (next.size === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, next);
    for (const key of touched) {
      let contributions = this.byKey.get(key);
      const flow = next.get(key);
      if (flow) {
        if (!contributions) this.byKey.set(key, (contributions = new Map()));
        contributions.set(owner, flow);
      } else if (contributions) {
        contributions.delete(owner);
        if (contributions.size === 0) this.byKey.delete(key);
      }
    }
    const mods: FlowMod[] = [];
    for (const key of touched) {
      const before = this.effective.get(key);
      const after = this.effectiveFor(key);
      if (before?.cookie === after?.cookie && before?.text === after?.text) continue;
      if (before) mods.push({ op: 'delete', cookie: before.cookie, owner: before.owner });
      if (after) {
        mods.push({ op: 'add', cookie: after.cookie, text: after.text, owner: after.owner });
        this.effective.set(key, after);
      } else this.effective.delete(key);
    }
    // Deletes first: an add that replaces a flow with the same identity must not be deleted after it.
    return [...mods.filter((m) => m.op === 'delete'), ...mods.filter((m) => m.op === 'add')];
  }

  private effectiveFor(key: string): EffectiveFlow | undefined {
    const contributions = this.byKey.get(key);
    if (!contributions || contributions.size === 0) return undefined;
    const owners = [...contributions.keys()].sort();
    let flow = contributions.get(owners[0]!)!;
    for (const owner of owners.slice(1)) flow = merge(flow, contributions.get(owner)!);
    const text = flowText(flow);
    return { cookie: flowCookie(owners[0]!, text), text, owner: owners[0]! };
  }

  /** Owners that currently contribute flows. */
  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** The effective desired flows by cookie. */
  desired(): Map<bigint, { text: string; owner: string }> {
    const out = new Map<bigint, { text: string; owner: string }>();
    for (const flow of this.effective.values()) out.set(flow.cookie, { text: flow.text, owner: flow.owner });
    return out;
  }

  /** Number of effective flows. */
  get size(): number {
    return this.effective.size;
  }
}

/**
 * The modifications that turn an installed flow set (cookies read back from OVS) into the desired one:
 * delete every installed cookie that is not desired (including cookie 0, flows nobody owns), add every
 * desired flow that is not installed.
 */
export function diffInstalled(desired: ReadonlyMap<bigint, { text: string; owner: string }>, installed: ReadonlySet<bigint>): FlowMod[] {
  const mods: FlowMod[] = [];
  for (const cookie of installed) if (!desired.has(cookie)) mods.push({ op: 'delete', cookie, owner: 'unknown' });
  for (const [cookie, flow] of desired) if (!installed.has(cookie)) mods.push({ op: 'add', cookie, text: flow.text, owner: flow.owner });
  return mods;
}
