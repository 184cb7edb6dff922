/**
 * `alcor bench migrate`: how long `alcor migrate from-neutron` takes on a large deployment. It generates
 * an export with the fixture's shapes (migrate-export.ts), serves it as a Neutron API from an in-process
 * HTTP server, and times, against a fresh store (a temporary SQLite file unless a database URL is given):
 *
 *   fetch     reading every collection through the migration's Neutron client (HTTP + JSON)
 *   import    the first run (plan + transactions + outbox), the figure the <= 10 s target is about
 *   rerun     a catch-up run with nothing changed (plan only, no writes)
 *   verify    `alcor migrate verify`'s comparison
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { compileServerOptions } from '../config.js';
import { importFromNeutron } from '../migrate/importer.js';
import { NeutronClient } from '../migrate/neutron-client.js';
import type { NeutronExport } from '../migrate/neutron-types.js';
import { verifyAgainstNeutron } from '../migrate/verify.js';
import { openStore } from '../store/open-store.js';
import { generateNeutronExport } from './migrate-export.js';

/** Options of one benchmark run. */
export interface MigrateBenchOptions {
  /** Compute ports to generate. @default 10000 */
  ports?: number;
  /** Alcor store; a temporary SQLite file when undefined. */
  databaseUrl?: string;
  /** Progress lines go here. */
  log?: (line: string) => void;
}

/** Measured durations (ms) and sizes. */
export interface MigrateBenchResult {
  ports: number;
  resources: number;
  database: string;
  fetchMs: number;
  importMs: number;
  /** CPU time of this process during the import (user + system): steadier than wall time on a busy machine. */
  importCpuMs: number;
  rerunMs: number;
  verifyMs: number;
  conflicts: number;
  differences: number;
  outboxRecords: number;
}

function serve(exp: NeutronExport): Promise<{ url: string; server: Server }> {
  const bodies = new Map<string, string>([
    ['/v2.0/networks', JSON.stringify({ networks: exp.networks })],
    ['/v2.0/subnets', JSON.stringify({ subnets: exp.subnets })],
    ['/v2.0/ports', JSON.stringify({ ports: exp.ports })],
    ['/v2.0/security-groups', JSON.stringify({ security_groups: exp.securityGroups })],
    ['/v2.0/security-group-rules', JSON.stringify({ security_group_rules: exp.securityGroupRules })],
    ['/v2.0/routers', JSON.stringify({ routers: exp.routers })],
    ['/v2.0/floatingips', JSON.stringify({ floatingips: exp.floatingIps })],
    ['/v2.0/rbac-policies', JSON.stringify({ rbac_policies: exp.rbacPolicies })],
    ['/v2.0/quotas', JSON.stringify({ quotas: exp.quotas.map((q) => ({ ...q.limits, project_id: q.project_id, tenant_id: q.project_id })) })],
  ]);
  for (const q of exp.quotas) bodies.set(`/v2.0/quotas/${q.project_id}`, JSON.stringify({ quota: q.limits }));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = bodies.get(path) ?? (path.endsWith('/default') ? JSON.stringify({ quota: exp.quotaDefaults }) : undefined);
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body ?? '{"NeutronError":{"type":"HTTPNotFound","message":"not found","detail":""}}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, Math.round(performance.now() - start)];
}

/** Runs the benchmark once. */
export async function runMigrateBench(options: MigrateBenchOptions = {}): Promise<MigrateBenchResult> {
  const log = options.log ?? (() => undefined);
  const exp = generateNeutronExport({ ports: options.ports ?? 10_000 });
  const tmp = options.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'alcor-migrate-bench-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(tmp ?? '', 'alcor.db')}`;
  const config = compileServerOptions({ databaseUrl, quotaDefaults: 'network=1000,subnet=1000,port=100000,router=1000,security_group=1000,security_group_rule=10000' });
  const { url, server } = await serve(exp);
  const store = await openStore(config.database);
  try {
    log(`generated ${exp.ports.length} ports, ${exp.networks.length} networks, ${exp.subnets.length} subnets; serving at ${url}`);
    const [source, fetchMs] = await timed(async () => (await NeutronClient.connect({ url, auth: { kind: 'none' } })).readAll());
    log(`fetch ${fetchMs} ms`);
    const cpu = process.cpuUsage();
    const [first, importMs] = await timed(() => importFromNeutron({ store, config, source, sourceUrl: url }));
    const used = process.cpuUsage(cpu);
    const importCpuMs = Math.round((used.user + used.system) / 1000);
    log(`import ${importMs} ms (${first.conflicts.length} conflicts)`);
    const [, rerunMs] = await timed(() => importFromNeutron({ store, config, source, sourceUrl: url }));
    log(`no-op rerun ${rerunMs} ms`);
    const [report, verifyMs] = await timed(() => verifyAgainstNeutron(store, source, url, config.quotaDefaults));
    log(`verify ${verifyMs} ms (${report.differences.length} differences)`);
    const outbox = await store.read((q) => q.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM changes'));
    return {
      ports: exp.ports.length,
      resources: Object.values(report.compared).reduce((a, b) => a + b, 0),
      database: config.database.engine,
      fetchMs, importMs, importCpuMs, rerunMs, verifyMs,
      conflicts: first.conflicts.length,
      differences: report.differences.length,
      outboxRecords: Number(outbox?.n ?? 0),
    };
  } finally {
    await store.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
