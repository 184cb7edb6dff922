/**
 * `alcor migrate from-neutron`: plans and applies the difference between Neutron's state and Alcor's.
 *
 * Plan: for every resource, by id and canonical content (canonical.ts) —
 *   absent in Alcor → create; equal → nothing (or "adopt" when a first run finds it already there);
 *   different and imported by an earlier run → update; different and not imported → conflict;
 *   imported earlier but gone from Neutron → delete.
 * A first run and a catch-up run are the same code: the second applies only what changed, and a run
 * with nothing changed writes nothing at all (no rows, no outbox records, no run record).
 *
 * Apply, in phases that keep references valid: (A) delete floating IPs and ports, (B) create/update in
 * dependency order (groups, rules, networks, subnets, routers, ports, floating IPs, quotas, RBAC),
 * (C) delete routers, subnets, networks, rules, groups, quotas, RBAC. Operations run in transactions
 * of up to BATCH resources; every check of a resource runs before its first write, so a conflict skips
 * that resource whole and the batch goes on. An unexpected database error rolls the batch back and
 * its resources are retried one transaction each. Conflicts an ordering may cause (an address held by
 * a port that a later operation frees) get one more pass at the end.
 */
import type { ServerConfig } from '../config.js';
import type { Queryable, Store } from '../store/store.js';
import { readAlcorState } from './alcor-view.js';
import { diffFields, KINDS, type Kind } from './canonical.js';
import { MigrationConflict, RETRYABLE_REASONS, type ConflictReason } from './conflicts.js';
import type { NeutronExport, NeutronFloatingIp, NeutronNetwork, NeutronPort, NeutronRbacPolicy, NeutronRouter, NeutronRule, NeutronSecurityGroup, NeutronSubnet } from './neutron-types.js';
import { neutronView, type NeutronView } from './neutron-view.js';
import { importedIds, forgetImported, markImported } from './write-common.js';
import { writeNetwork, writePort, writeSubnet } from './write-core.js';
import { deleteImported } from './write-delete.js';
import { createPorts } from './write-ports-bulk.js';
import { writeFloatingIp, writeQuota, writeRbacPolicy, writeRouter, writeRule, writeSecurityGroup } from './write-l3.js';

/** What one operation does. */
export type Operation = 'create' | 'update' | 'delete' | 'adopt';

/** One planned operation. */
export interface PlannedOp {
  kind: Kind;
  id: string;
  op: Operation;
}

/** A resource that was not imported, and why. */
export interface ConflictReport {
  kind: Kind;
  id: string;
  name?: string;
  reason: ConflictReason;
  message: string;
}

/** Per-kind counters. */
export type Counts = Record<Kind, number>;

/** The result of a run (also the `--json` output). */
export interface ImportSummary {
  source: string;
  dryRun: boolean;
  created: Counts;
  updated: Counts;
  deleted: Counts;
  /** Already in Alcor with the same content on a first run: recorded as imported, nothing written. */
  adopted: Counts;
  unchanged: Counts;
  conflicts: ConflictReport[];
  warnings: string[];
  durationMs: number;
}

/** Options of a run. */
export interface ImportOptions {
  store: Store;
  /** Alcor's configuration: segment ranges, flat networks, MTU and quota defaults. */
  config: ServerConfig;
  source: NeutronExport;
  sourceUrl: string;
  /** Plan and check everything in one transaction, then roll it back. @default false */
  dryRun?: boolean;
  /** Called after every operation. */
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 500;
const DELETE_FIRST: Kind[] = ['floatingip', 'port'];
const DELETE_LAST: Kind[] = ['router', 'subnet', 'network', 'security_group_rule', 'security_group', 'quota', 'rbac_policy'];

function counts(): Counts {
  return Object.fromEntries(KINDS.map((k) => [k, 0])) as Counts;
}

class Rollback extends Error {}

/** The operations that bring Alcor to Neutron's state, and the conflicts found while planning. */
export function planImport(neutron: NeutronView, alcor: Awaited<ReturnType<typeof readAlcorState>>, imported: Map<Kind, Set<string>>, summary: ImportSummary): PlannedOp[] {
  const upserts: PlannedOp[] = [];
  const deletes = new Map<Kind, PlannedOp[]>();
  for (const kind of KINDS) {
    const mine = imported.get(kind) ?? new Set<string>();
    for (const id of neutron.raw[kind].keys()) {
      const have = alcor[kind].get(id);
      if (!have) {
        upserts.push({ kind, id, op: 'create' });
        continue;
      }
      const want = neutron.canonical(kind, id);
      if (diffFields(want, have).length === 0) {
        if (mine.has(id)) summary.unchanged[kind]++;
        else upserts.push({ kind, id, op: 'adopt' });
      } else if (mine.has(id)) upserts.push({ kind, id, op: 'update' });
      else {
        const fields = diffFields(want, have).map(([f, n, a]) => `${f}: neutron ${JSON.stringify(n)}, alcor ${JSON.stringify(a)}`);
        summary.conflicts.push({
          kind, id, name: nameOf(neutron, kind, id), reason: 'same-id-different-content',
          message: `${kind} ${id} already exists in Alcor (not from this migration) with different content: ${fields.join('; ')}`,
        });
      }
    }
    const gone = [...mine].filter((id) => !neutron.raw[kind].has(id)).map((id): PlannedOp => ({ kind, id, op: 'delete' }));
    deletes.set(kind, gone);
  }
  return [
    ...DELETE_FIRST.flatMap((k) => deletes.get(k) ?? []),
    ...withoutBlocked(neutron, upserts, summary),
    ...DELETE_LAST.flatMap((k) => deletes.get(k) ?? []),
  ];
}

/** The resources an imported resource refers to, as `kind/id`. */
function dependencies(kind: Kind, raw: Record<string, any>): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (kind) {
    case 'security_group_rule': return [`security_group/${raw.security_group_id}`];
    case 'subnet': return [`network/${raw.network_id}`];
    case 'router': return raw.external_gateway_info ? [`network/${raw.external_gateway_info.network_id}`] : [];
    case 'port':
      return [`network/${raw.network_id}`, ...(raw.fixed_ips ?? []).map((f: { subnet_id: string }) => `subnet/${f.subnet_id}`),
        ...(raw.security_groups ?? []).map((g: string) => `security_group/${g}`)];
    case 'floatingip':
      return [`network/${raw.floating_network_id}`, ...(raw.port_id ? [`port/${raw.port_id}`] : []), ...(raw.router_id ? [`router/${raw.router_id}`] : [])];
    case 'rbac_policy': return [`network/${raw.object_id}`];
    default: return [];
  }
}

/**
 * Leaves out what depends on a resource that conflicted while planning: Alcor has that id with other
 * content, and importing Neutron's subnets onto Alcor's own network of the same id would merge the two.
 */
function withoutBlocked(neutron: NeutronView, upserts: PlannedOp[], summary: ImportSummary): PlannedOp[] {
  const blocked = new Set(summary.conflicts.map((c) => `${c.kind}/${c.id}`));
  if (blocked.size === 0) return upserts;
  return upserts.filter((op) => {
    const raw = neutron.raw[op.kind].get(op.id) as Record<string, unknown>;
    const cause = dependencies(op.kind, raw).find((d) => blocked.has(d));
    if (cause === undefined) return true;
    blocked.add(`${op.kind}/${op.id}`);
    summary.conflicts.push({
      kind: op.kind, id: op.id, name: nameOf(neutron, op.kind, op.id), reason: 'missing-dependency',
      message: `${op.kind} ${op.id} depends on ${cause.replace('/', ' ')}, which conflicts with Alcor (see its conflict)`,
    });
    return false;
  });
}

function nameOf(neutron: NeutronView, kind: Kind, id: string): string | undefined {
  const raw = neutron.raw[kind].get(id) as { name?: string; description?: string } | undefined;
  return raw?.name || raw?.description || undefined;
}

async function applyOne(tx: Queryable, opts: ImportOptions, view: NeutronView, op: PlannedOp): Promise<void> {
  if (op.op === 'delete') {
    await deleteImported(tx, op.kind, op.id);
    await forgetImported(tx, op.kind, op.id);
    return;
  }
  if (op.op !== 'adopt') {
    const create = op.op === 'create';
    const raw = view.raw[op.kind].get(op.id);
    switch (op.kind) {
      case 'network': await writeNetwork(tx, opts.config, raw as NeutronNetwork, create); break;
      case 'subnet': await writeSubnet(tx, raw as NeutronSubnet, create); break;
      case 'port': await writePort(tx, raw as NeutronPort, create); break;
      case 'security_group': await writeSecurityGroup(tx, raw as NeutronSecurityGroup, create); break;
      case 'security_group_rule': await writeRule(tx, raw as NeutronRule, create); break;
      case 'router': await writeRouter(tx, raw as NeutronRouter, view.gatewayPorts.get(op.id), create); break;
      case 'floatingip': await writeFloatingIp(tx, raw as NeutronFloatingIp, view.floatingPorts.get(op.id), create); break;
      case 'quota': await writeQuota(tx, op.id, (raw as { overrides: Record<string, number> }).overrides); break;
      case 'rbac_policy': await writeRbacPolicy(tx, raw as NeutronRbacPolicy, create); break;
    }
  }
  await markImported(tx, op.kind, op.id, opts.sourceUrl);
}

function record(summary: ImportSummary, op: PlannedOp): void {
  const bucket = op.op === 'create' ? summary.created : op.op === 'update' ? summary.updated : op.op === 'delete' ? summary.deleted : summary.adopted;
  bucket[op.kind]++;
}

interface BatchResult {
  done: PlannedOp[];
  failed: { op: PlannedOp; conflict: MigrationConflict }[];
}

/** Runs a batch in one transaction; a fresh result per attempt, so an engine's retry of the transaction counts nothing twice. */
async function runBatch(tx: Queryable, opts: ImportOptions, view: NeutronView, batch: PlannedOp[]): Promise<BatchResult> {
  const result: BatchResult = { done: [], failed: [] };
  for (let i = 0; i < batch.length; ) {
    const op = batch[i] as PlannedOp;
    if (op.kind === 'port' && op.op === 'create') {
      // New ports, the bulk of a migration, go through the multi-row path.
      let j = i;
      while (j < batch.length && batch[j]?.kind === 'port' && batch[j]?.op === 'create') j++;
      const group = batch.slice(i, j);
      const conflicts = await createPorts(tx, opts.store.engine, group.map((o) => view.raw.port.get(o.id) as NeutronPort), opts.sourceUrl);
      for (const o of group) {
        const conflict = conflicts.get(o.id);
        if (conflict) result.failed.push({ op: o, conflict });
        else result.done.push(o);
      }
      i = j;
      continue;
    }
    try {
      await applyOne(tx, opts, view, op);
      result.done.push(op);
    } catch (err) {
      if (!(err instanceof MigrationConflict)) throw err;
      result.failed.push({ op, conflict: err });
    }
    i++;
  }
  return result;
}

/** Runs `ops` (in batches, or all in one rolled-back transaction for a dry run); returns those that conflicted. */
async function applyAll(opts: ImportOptions, view: NeutronView, ops: PlannedOp[], summary: ImportSummary, progress: () => void): Promise<BatchResult['failed']> {
  const failed: BatchResult['failed'] = [];
  const settle = (r: BatchResult) => {
    for (const op of r.done) record(summary, op);
    failed.push(...r.failed);
    for (let i = 0; i < r.done.length + r.failed.length; i++) progress();
  };
  if (opts.dryRun) {
    let outcome: BatchResult = { done: [], failed: [] };
    await opts.store.write(async (tx) => {
      outcome = await runBatch(tx, opts, view, ops);
      throw new Rollback();
    }).catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
    settle(outcome);
    return failed;
  }
  for (let i = 0; i < ops.length; i += BATCH) {
    const batch = ops.slice(i, i + BATCH);
    try {
      settle(await opts.store.write((tx) => runBatch(tx, opts, view, batch)));
    } catch {
      // An unexpected error rolled the batch back: one transaction per resource finds the culprit.
      for (const op of batch) {
        try {
          settle(await opts.store.write((tx) => runBatch(tx, opts, view, [op])));
        } catch (err) {
          settle({ done: [], failed: [{ op, conflict: new MigrationConflict('error', `${op.kind} ${op.id}: ${err instanceof Error ? err.message : String(err)}`) }] });
        }
      }
    }
  }
  return failed;
}

/** Imports (or catches up) Neutron's state into Alcor's store. */
export async function importFromNeutron(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const summary: ImportSummary = {
    source: opts.sourceUrl, dryRun: opts.dryRun ?? false, created: counts(), updated: counts(), deleted: counts(), adopted: counts(),
    unchanged: counts(), conflicts: [], warnings: [], durationMs: 0,
  };
  const view = neutronView(opts.source, opts.config.quotaDefaults);
  summary.warnings.push(...view.warnings);
  const { alcor, imported } = await opts.store.read(async (q) => ({ alcor: await readAlcorState(q), imported: await importedIds(q) }));
  const ops = planImport(view, alcor, imported, summary);
  let done = 0;
  const progress = () => opts.onProgress?.(++done, ops.length);
  let failed = await applyAll(opts, view, ops, summary, progress);
  // Ordering conflicts (an address freed later in the run, a dependency that was itself retried) get another pass.
  const appliedBefore = ops.length - failed.length;
  const retry = failed.filter((f) => RETRYABLE_REASONS.includes(f.conflict.reason));
  if (!opts.dryRun && retry.length > 0 && appliedBefore > 0) {
    failed = [...failed.filter((f) => !retry.includes(f)), ...(await applyAll(opts, view, retry.map((f) => f.op), summary, () => undefined))];
  }
  for (const { op, conflict } of failed) {
    summary.conflicts.push({ kind: op.kind, id: op.id, name: nameOf(view, op.kind, op.id), reason: conflict.reason, message: conflict.message });
  }
  summary.durationMs = Date.now() - started;
  if (!summary.dryRun && (ops.length > 0 || summary.conflicts.length > 0)) {
    await opts.store.write((tx) =>
      tx.run('INSERT INTO migrate_runs (source_url, dry_run, started_at, finished_at, summary) VALUES (?, 0, ?, ?, ?)', [
        opts.sourceUrl, new Date(started).toISOString(), new Date().toISOString(), JSON.stringify(summary),
      ]),
    );
  }
  return summary;
}
