/**
 * A real neutron-server for `alcor bench compare`: Debian's packages (installed once, reused after),
 * its own configuration in a temporary directory, its own PostgreSQL database, its own loopback port.
 *
 *   install   apt-get install neutron-server python3-psycopg2 (skipped when both are installed), with a
 *             policy-rc.d that keeps the package's own services from starting
 *   start     scratch database → neutron-db-manage upgrade heads → neutron-server as user neutron →
 *             wait until the API answers (it first syncs its VXLAN allocation table, ~20 s)
 *   fill      stored ports are topped up in SQL (see compare-neutron-fill.ts): its bulk create runs at
 *             about 5 ports/s, so 10k ports through the API would take over half an hour
 *   stop      SIGTERM to the server and its workers (SIGKILL after 20 s), drop the database, remove the
 *             directory
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortFill } from './api-bench.js';
import { topUpNeutronPorts } from './compare-neutron-fill.js';
import { createScratchDatabase, run, type PostgresServer, type ScratchDatabase } from './compare-host.js';
import { processTree } from './process-tree.js';
import { freePort } from './server-process.js';

const PACKAGES = ['neutron-server', 'python3-psycopg2'];
const POLICY_RC = '/usr/sbin/policy-rc.d';

/** True when every package is installed (dpkg's "install ok installed"). */
async function installed(packages: readonly string[]): Promise<boolean> {
  try {
    const out = await run('dpkg-query', ['-W', '-f=${Status}\\n', ...packages]);
    return out.trim().split('\n').filter((l) => l === 'install ok installed').length === packages.length;
  } catch {
    return false;
  }
}

/** Installs Neutron's packages unless they are there; keeps their init scripts from starting anything. */
export async function installNeutron(log: (line: string) => void): Promise<'installed' | 'reused'> {
  if (await installed(PACKAGES)) {
    log(`neutron: ${PACKAGES.join(', ')} already installed, reusing them`);
    return 'reused';
  }
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\n# written by alcor bench compare while it installs neutron-server\nexit 101\n', { mode: 0o755 });
  try {
    const apt = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=600'];
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    log('neutron: apt-get update');
    await run('apt-get', [...apt, 'update'], { env });
    log(`neutron: apt-get install ${PACKAGES.join(' ')} (a few minutes on a fresh machine)`);
    await run('apt-get', [...apt, 'install', '--no-install-recommends', ...PACKAGES], { env, timeoutMs: 1_800_000 });
  } finally {
    if (ownPolicy) unlinkSync(POLICY_RC);
  }
  return 'installed';
}

/** Settings of a benchmark neutron-server. */
export interface NeutronServerOptions {
  postgres: PostgresServer;
  /** API worker processes. @default 2 */
  apiWorkers?: number;
  /** How long to wait for the API after launch. @default 180000 */
  startTimeoutMs?: number;
  log: (line: string) => void;
}

/** neutron.conf and ml2_conf.ini for a standalone noauth server (the reference setup on these machines). */
export function neutronConfig(p: { port: number; databaseUrl: string; dir: string; apiWorkers: number }): { neutron: string; ml2: string } {
  const neutron = `[DEFAULT]
auth_strategy = noauth
core_plugin = ml2
service_plugins = router
bind_host = 127.0.0.1
bind_port = ${p.port}
api_workers = ${p.apiWorkers}
rpc_workers = 0
rpc_state_report_workers = 0
transport_url = fake://
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False
dhcp_agent_notification = False
allow_overlapping_ips = True
debug = False
api_paste_config = /etc/neutron/api-paste.ini
log_file = ${join(p.dir, 'neutron-server.log')}
state_path = ${p.dir}

[database]
connection = ${p.databaseUrl.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:')}

[oslo_concurrency]
lock_path = ${join(p.dir, 'lock')}

[oslo_messaging_notifications]
driver = noop

[quotas]
quota_port = 1000000
quota_network = 10000
quota_subnet = 10000
quota_router = 1000
quota_security_group = 1000
quota_security_group_rule = 10000
`;
  const ml2 = `[ml2]
type_drivers = vxlan,flat,vlan
tenant_network_types = vxlan
mechanism_drivers =
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *

[ml2_type_vxlan]
vni_ranges = 1:1000000

[securitygroup]
enable_security_group = True
firewall_driver = noop
`;
  return { neutron, ml2 };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', name])).trim());
  const gid = Number((await run('id', ['-g', name])).trim());
  return { uid, gid };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForApi(url: string, child: ChildProcess, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`neutron-server exited with code ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${url}/v2.0/networks?limit=1`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > timeoutMs) throw new Error(`neutron-server did not answer at ${url} within ${timeoutMs} ms`);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`neutron: waiting for the API (${Math.round((lastLog - started) / 1000)} s; it syncs its VXLAN allocation table first)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Stops a process and every descendant it had (workers), SIGKILL after `graceMs`. */
async function stopTree(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pids = processTree(child.pid);
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(killer);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Creates the database and configuration, migrates, starts neutron-server and waits for its API. */
export async function startNeutron(options: NeutronServerOptions): Promise<{ url: string; pid: number; fill: PortFill; stop: () => Promise<void> }> {
  const { log } = options;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const ids = await userIds('neutron');
    const dir = mkdtempSync(join(tmpdir(), 'alcor-compare-neutron-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'lock'));
    const db: ScratchDatabase = await createScratchDatabase(options.postgres, 'alcor_compare_neutron');
    cleanups.push(() => db.drop());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = neutronConfig({ port, databaseUrl: db.url, dir, apiWorkers: options.apiWorkers ?? 2 });
    writeFileSync(join(dir, 'neutron.conf'), config.neutron);
    writeFileSync(join(dir, 'ml2_conf.ini'), config.ml2);
    for (const path of [dir, join(dir, 'lock'), join(dir, 'neutron.conf'), join(dir, 'ml2_conf.ini')]) chownSync(path, ids.uid, ids.gid);
    const configArgs = ['--config-file', join(dir, 'neutron.conf'), '--config-file', join(dir, 'ml2_conf.ini')];
    log(`neutron: database ${db.name}, neutron-db-manage upgrade heads`);
    await run('neutron-db-manage', [...configArgs, 'upgrade', 'heads'], { ...ids, env: { HOME: dir } });
    log(`neutron: starting neutron-server on ${url} (${options.apiWorkers ?? 2} API workers, log ${join(dir, 'neutron-server.log')})`);
    const child = spawn('neutron-server', configArgs, { ...ids, cwd: dir, env: { ...process.env, HOME: dir }, stdio: 'ignore' });
    cleanups.push(() => stopTree(child, 20_000));
    await waitForApi(url, child, options.startTimeoutMs ?? 180_000, log);
    const pid = child.pid ?? 0;
    log(`neutron: neutron-server pid ${pid} answers (${processTree(pid).length} processes)`);
    return {
      url,
      pid,
      fill: (networkId, firstIndex, count) => topUpNeutronPorts({ postgres: options.postgres, database: db.name, networkId, firstIndex, count }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
