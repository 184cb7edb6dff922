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

/** One owner's contribution to a flow identity. */
interface Contribution {
  owner: string;
  flow: FlowSpec;
}

/** Effective desired flows with per-owner contributions. */
export class FlowLedger {
  /** Flow identity → its contribution, or several (rare: shared identities). */
  private readonly byKey = new Map<string, Contribution | Contribution[]>();
  private readonly byOwner = new Map<string, Map<string, FlowSpec>>();
  private readonly effective = new Map<string, EffectiveFlow>();
  private desiredCache: Map<bigint, EffectiveFlow> | undefined;

  /**
   * Replaces everything `owner` contributes with `flows` and returns the resulting modifications
   * (deletes before adds: an add that replaces a flow with the same identity must come last).
   */
  replace(owner: string, flows: readonly FlowSpec[]): FlowMod[] {
    const next = new Map<string, FlowSpec>();
    for (const flow of flows) {
      const key = matchKey(flow);
      const existing = next.get(key);
      next.set(key, existing ? merge(existing, flow) : flow);
    }
    const previous = this.byOwner.get(owner);
    if (next.size === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, next);
    const deletes: FlowMod[] = [];
    const adds: FlowMod[] = [];
    if (previous) {
      for (const [key, flow] of previous) {
        if (next.get(key)?.actions === flow.actions) continue;
        if (!next.has(key)) this.retract(key, owner);
        this.refresh(key, deletes, adds);
      }
    }
    for (const [key, flow] of next) {
      if (previous?.get(key)?.actions === flow.actions) continue;
      this.contribute(key, owner, flow);
      this.refresh(key, deletes, adds);
    }
    if (deletes.length === 0) return adds;
    return adds.length === 0 ? deletes : [...deletes, ...adds];
  }

  private contribute(key: string, owner: string, flow: FlowSpec): void {
    const current = this.byKey.get(key);
    if (!current) {
      this.byKey.set(key, { owner, flow });
      return;
    }
    const list = Array.isArray(current) ? current : [current];
    const mine = list.find((c) => c.owner === owner);
    if (mine) mine.flow = flow;
    else list.push({ owner, flow });
    this.byKey.set(key, list.length === 1 ? list[0]! : list);
  }

  private retract(key: string, owner: string): void {
    const current = this.byKey.get(key);
    if (!current) return;
    const rest = (Array.isArray(current) ? current : [current]).filter((c) => c.owner !== owner);
    if (rest.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, rest.length === 1 ? rest[0]! : rest);
  }

  /** Recomputes the effective flow of an identity and records the modification, if any. */
  private refresh(key: string, deletes: FlowMod[], adds: FlowMod[]): void {
    const before = this.effective.get(key);
    const after = this.effectiveFor(key);
    if (before?.cookie === after?.cookie && before?.text === after?.text) return;
    this.desiredCache = undefined;
    if (before) deletes.push({ op: 'delete', cookie: before.cookie, owner: before.owner });
    if (after) {
      adds.push({ op: 'add', cookie: after.cookie, text: after.text, owner: after.owner });
      this.effective.set(key, after);
    } else this.effective.delete(key);
  }

  private effectiveFor(key: string): EffectiveFlow | undefined {
    const current = this.byKey.get(key);
    if (!current) return undefined;
    let first: Contribution;
    let flow: FlowSpec;
    if (!Array.isArray(current)) {
      first = current;
      flow = current.flow;
    } else {
      const sorted = [...current].sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
      first = sorted[0]!;
      flow = first.flow;
      for (const c of sorted.slice(1)) flow = merge(flow, c.flow);
    }
    const text = flowText(flow, key);
    return { cookie: flowCookie(first.owner, text), text, owner: first.owner };
  }

  /** Owners that currently contribute flows. */
  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** The effective desired flows by cookie (cached until the next change). */
  desired(): ReadonlyMap<bigint, { readonly text: string; readonly owner: string }> {
    if (!this.desiredCache) {
      this.desiredCache = new Map();
      for (const flow of this.effective.values()) this.desiredCache.set(flow.cookie, flow);
    }
    return this.desiredCache;
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
