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
import { registerBenchSouthbound } from './commands/bench-southbound.js';
import { registerBenchNova } from './commands/bench-nova.js';

/** Every subcommand of `alcor`, in help order. */
const COMMANDS: RegisterCommand[] = [
  registerBenchApi, // alcor bench api
  registerTestbed, // alcor testbed up|down|vm
  registerBenchOvs, // alcor bench ovs
  registerBenchSouthbound, // alcor bench southbound
  registerBenchNova, // alcor bench nova
  registerMigrate, // alcor migrate from-neutron|verify
];

const program = new Command()
  .name('alcor')
  .description('Alcor command-line tool: benchmarks, testbeds and migration')
  .showHelpAfterError();
for (const register of COMMANDS) register(program);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`alcor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
