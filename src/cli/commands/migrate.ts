/** `alcor migrate from-neutron` and `alcor migrate verify` (see src/migrate/importer.ts and verify.ts). */
import type { Command } from 'commander';
import { runMigrateBench } from '../../bench/migrate-bench.js';
import { compileServerOptions, optionsFromEnv } from '../../config.js';
import { importFromNeutron } from '../../migrate/importer.js';
import { NeutronClient } from '../../migrate/neutron-client.js';
import { progressBar } from '../../migrate/progress.js';
import { formatImportSummary } from '../../migrate/summary-format.js';
import { formatVerifyReport, verifyAgainstNeutron } from '../../migrate/verify.js';
import { openStore } from '../../store/open-store.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';
import { addOsAuthOptions, authOf, type OsAuthFlags } from '../os-auth.js';

interface MigrateFlags extends OsAuthFlags {
  url?: string;
  databaseUrl?: string;
  dryRun?: boolean;
  json: boolean;
}

async function prepare(flags: MigrateFlags) {
  const config = compileServerOptions({ ...optionsFromEnv(process.env), ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}) });
  const client = await NeutronClient.connect({ url: flags.url, auth: authOf(flags) });
  const source = await client.readAll();
  const store = await openStore(config.database);
  return { config, source, store, url: client.base };
}

async function fromNeutron(flags: MigrateFlags): Promise<void> {
  const { config, source, store, url } = await prepare(flags);
  // The bar goes to stderr and only on a terminal, so --json output on stdout stays clean.
  const bar = progressBar('importing');
  try {
    const summary = await importFromNeutron({ store, config, source, sourceUrl: url, dryRun: flags.dryRun, onProgress: (d, t) => bar.update(d, t) });
    bar.finish();
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatImportSummary(summary));
    if (summary.conflicts.length > 0) process.exitCode = 2;
  } finally {
    await store.close();
  }
}

async function verify(flags: MigrateFlags): Promise<void> {
  const { config, source, store, url } = await prepare(flags);
  try {
    const report = await verifyAgainstNeutron(store, source, url, config.quotaDefaults);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
    if (report.differences.length > 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

function common(cmd: Command): Command {
  return addOsAuthOptions(
    cmd.option('--url <url>', "Neutron endpoint, e.g. http://controller:9696 (default: the network endpoint of Keystone's catalog)", process.env.OS_NETWORK_URL),
    'project to scope the token to (an admin project)',
  )
    .option('--database-url <url>', "Alcor's store (default ALCOR_DATABASE_URL, else sqlite:./data/alcor.db)")
    .option('--json', 'print the result as JSON', false);
}

async function benchMigrate(flags: { ports: number; databaseUrl?: string; json: boolean }): Promise<void> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const r = await runMigrateBench({ ports: flags.ports, databaseUrl: flags.databaseUrl, log });
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(r, null, 2)}\n`
      : `migrate ${r.ports} ports (${r.resources} resources, ${r.database}): fetch ${r.fetchMs} ms, import ${r.importMs} ms (${r.importCpuMs} ms CPU), ` +
          `no-op rerun ${r.rerunMs} ms, verify ${r.verifyMs} ms; ${r.conflicts} conflicts, ${r.differences} differences, ${r.outboxRecords} outbox records\n`,
  );
}

/** Registers `alcor migrate from-neutron`, `alcor migrate verify` and the `alcor bench migrate` benchmark. */
export const registerMigrate: RegisterCommand = (program: Command) => {
  const group = commandGroup(program, 'migrate', 'move a running Neutron into Alcor');
  common(group.command('from-neutron'))
    .description("import (or catch up with) a Neutron's networks, subnets, ports, security groups, routers, floating IPs and quotas, keeping ids, MACs and IPs; exit 2 on conflicts")
    .option('--dry-run', 'check and count everything, write nothing', false)
    .action(fromNeutron);
  common(group.command('verify'))
    .description('compare Neutron and Alcor resource by resource and field by field; exit 1 with a diff when they differ')
    .action(verify);
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('migrate')
    .description('time `alcor migrate from-neutron` on a generated export with the Zed fixture\'s shapes (target: 10,000 ports in <= 10 s)')
    .option('--ports <n>', 'compute ports to generate', numberOption('--ports'), 10_000)
    .option('--database-url <url>', 'Alcor store to import into (default: a temporary SQLite file)')
    .option('--json', 'print the result as JSON', false)
    .action(benchMigrate);
};
