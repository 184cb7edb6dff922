/**
 * `alcor db status` and `alcor db upgrade`: the schema of the configured database against this build.
 * Status never writes (and never creates a database); upgrade applies what is pending (each migration in one transaction; on PostgreSQL
 * under the same advisory lock the controller takes, so it is safe while replicas start).
 */
import type { Command } from 'commander';
import { compileServerOptions, optionsFromEnv, type ServerConfig } from '../../config.js';
import { KNOWN_MIGRATIONS, openSchema } from '../../store/migrations.js';
import { openStore } from '../../store/open-store.js';
import type { MigrationMode, SchemaStatus } from '../../store/schema-state.js';
import { ALCOR_VERSION } from '../../version.js';
import type { RegisterCommand } from '../command-group.js';

interface DbFlags {
  databaseUrl?: string;
  json: boolean;
}

/** Human-readable schema status: one line per migration, applied or pending. */
export function formatSchemaStatus(status: SchemaStatus): string {
  const applied = new Map(status.applied.map((m) => [m.version, m]));
  const lines = [`Alcor ${ALCOR_VERSION}: ${status.applied.length} migration(s) applied, ${status.pending.length} pending`];
  for (const m of KNOWN_MIGRATIONS) {
    const row = applied.get(m.version);
    lines.push(`  ${String(m.version).padStart(4)}  ${row ? `applied ${row.applied_at}` : 'pending'.padEnd(32)}  ${m.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Opens `database` in `mode` and returns its schema status (the store is closed again). */
export async function schemaStatusOf(database: ServerConfig['database'], mode: MigrationMode): Promise<SchemaStatus> {
  const store = await openStore(database, mode);
  try {
    return await openSchema(store, { label: 'the database', mode: 'inspect' });
  } finally {
    await store.close();
  }
}

/** The database of ALCOR_DATABASE_URL, or of the flag when given. */
function databaseOf(flags: DbFlags): ServerConfig['database'] {
  return compileServerOptions({ ...optionsFromEnv(process.env), ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}) }).database;
}

function print(status: SchemaStatus, flags: DbFlags): void {
  const json = { version: ALCOR_VERSION, applied: status.applied, pending: status.pending.map((m) => ({ version: m.version, name: m.name })) };
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : formatSchemaStatus(status));
}

/** Registers `alcor db status|upgrade`. */
export const registerDb: RegisterCommand = (program: Command) => {
  const db = program.command('db').description('the database schema: what is applied and pending, and upgrading it');
  db.command('status')
    .description('list applied and pending schema migrations (never writes); exit 1 when any is pending')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (ALCOR_DATABASE_URL)')
    .option('--json', 'machine-readable output', false)
    .action(async (flags: DbFlags) => {
      const status = await schemaStatusOf(databaseOf(flags), 'inspect');
      print(status, flags);
      if (status.pending.length > 0) process.exitCode = 1;
    });
  db.command('upgrade')
    .description('apply pending schema migrations, each in one transaction (safe while replicas start)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (ALCOR_DATABASE_URL)')
    .option('--json', 'machine-readable output', false)
    .action(async (flags: DbFlags) => print(await schemaStatusOf(databaseOf(flags), 'apply'), flags));
};
