/** Building blocks shared by the goal-state compilers (compiler.ts, compile-l3.ts). */
import { create } from '@bufbuild/protobuf';
import { AddressPairSchema, RouteSchema, type AddressPair, type Route } from '../proto/alcor/v1/goal_state_pb.js';
import type { Queryable, SqlValue } from '../store/store.js';
import { encodeUpsert, type Kind } from './wire.js';

/** One compiled resource: its key and encoded upsert. */
export interface CompiledEntry {
  kind: Kind;
  id: string;
  bytes: Uint8Array;
}

/** A compiled host scope plus the facts the manager indexes. */
export interface CompiledHost {
  entries: Map<string, CompiledEntry>;
  /** Networks whose neighbor scope the host needs (local ports, and networks behind its routers). */
  vpcs: Set<string>;
  ports: Set<string>;
  /** Ports programmed here ahead of a live migration (an inactive binding to this host), not bound here. */
  preparedPorts: Set<string>;
  /** Security-group rule id → group id, for rule changes whose row is gone. */
  rules: Map<string, string>;
  /** Router interface port id → router id. */
  routerPorts: Map<string, string>;
  /** Bound port → ids of the floating IPs its state carries (ports without any are absent). */
  floatingIps: Map<string, string[]>;
}

/** Key of a resource inside a scope. */
export function entryKey(kind: Kind, id: string): string {
  return `${kind}/${id}`;
}

/** Kind and id of a scope key (see entryKey). */
export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/**
 * SQL condition on ports `p`: router interface ports (device_owner `network:router_interface*`). A range
 * rather than LIKE, so that both engines use the ports_device_owner index and match case-sensitively.
 */
export const ROUTER_OWNER = "p.device_owner >= 'network:router_interface' AND p.device_owner < 'network:router_interfacf'";

function placeholders(n: number): string {
  return new Array(n).fill('?').join(',');
}

/** Runs a query with an IN list in chunks (engines cap bound parameters). */
export async function allIn<R>(q: Queryable, sql: (marks: string) => string, ids: readonly string[], extra: SqlValue[] = []): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    out.push(...(await q.all<R>(sql(placeholders(chunk.length)), [...extra, ...chunk])));
  }
  return out;
}

/** Parses JSON text, falling back on anything unparsable. */
export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Neutron route list (JSON text) → Route states. */
export function routes(text: unknown): Route[] {
  return parseJson<{ destination?: string; nexthop?: string }[]>(text, [])
    .filter((r) => r && typeof r === 'object')
    .map((r) => create(RouteSchema, { destination: String(r.destination ?? ''), nexthop: String(r.nexthop ?? '') }));
}

/** Neutron allowed_address_pairs (JSON text) → AddressPair states. */
export function addressPairs(text: unknown): AddressPair[] {
  return parseJson<{ ip_address?: string; mac_address?: string }[]>(text, [])
    .filter((p) => p && typeof p === 'object')
    .map((p) => create(AddressPairSchema, { ipAddress: String(p.ip_address ?? ''), macAddress: String(p.mac_address ?? '') }));
}

/** Groups rows by a key. */
export function group<K, V>(rows: readonly V[], key: (v: V) => K): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

/** Encodes and stores one entry. */
export function add(entries: Map<string, CompiledEntry>, kind: Kind, id: string, state: Parameters<typeof encodeUpsert>[2]): void {
  entries.set(entryKey(kind, id), { kind, id, bytes: encodeUpsert(kind, id, state) });
}

