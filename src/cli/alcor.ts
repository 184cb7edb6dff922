#!/usr/bin/env node
/**
 * `alcor`: the operator and developer CLI. Each subcommand registers itself from its own module in
 * `src/cli/commands/`; adding one is an import and an entry in COMMANDS.
 */
import { Command } from 'commander';
import type { RegisterCommand } from './command-group.js';
import { registerBenchApi } from './commands/bench-api.js';
import { registerMigrate } from './commands/migrate.js';
import { registerTestbed } from './commands/testbed.js';
import { registerBenchOvs } from './commands/bench-ovs.js';
import { registerBenchReplicas } from './commands/bench-replicas.js';
import { registerBenchSouthbound } from './commands/bench-southbound.js';
import { registerStatus } from './commands/status.js';
import { registerHosts } from './commands/hosts.js';
import { registerPort } from './commands/port.js';
import { registerTrace } from './commands/trace.js';
import { registerDb } from './commands/db.js';
import { DatabaseRefused } from '../store/schema-state.js';
import { ALCOR_VERSION } from '../version.js';
import { registerPki } from './commands/pki.js';
import { registerBenchNova } from './commands/bench-nova.js';
import { registerBenchCompare } from './commands/bench-compare.js';

/** Every subcommand of `alcor`, in help order. */
const COMMANDS: RegisterCommand[] = [
  registerStatus, // alcor status
  registerHosts, // alcor hosts list|show
  registerPort, // alcor port show
  registerTrace, // alcor trace
  registerBenchApi, // alcor bench api
  registerTestbed, // alcor testbed up|down|vm
  registerBenchOvs, // alcor bench ovs
  registerBenchSouthbound, // alcor bench southbound
  registerBenchReplicas, // alcor bench replicas
  registerBenchNova, // alcor bench nova
  registerBenchCompare, // alcor bench compare
  registerMigrate, // alcor migrate from-neutron|verify
  registerDb, // alcor db status|upgrade
  registerPki, // alcor pki ca|cert
];

const program = new Command()
  .name('alcor')
  .description('Alcor command-line tool: operator view (status, hosts, ports, trace), benchmarks, testbeds, migration, the database schema and certificates')
  .version(ALCOR_VERSION)
  .showHelpAfterError();
for (const register of COMMANDS) register(program);

program.parseAsync().catch((err: unknown) => {
  // A refused database is an operator's situation, not a bug: its message says what to do.
  const text = err instanceof DatabaseRefused ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`alcor: ${text}\n`);
  process.exit(1);
});
