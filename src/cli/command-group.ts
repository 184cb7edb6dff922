/**
 * How `alcor` subcommands plug in: each lives in its own module under `src/cli/commands/` and exports a
 * `RegisterCommand` that attaches itself to the program; groups such as `bench` are shared by name, so
 * `alcor bench api` and `alcor bench southbound` can be defined in different modules.
 */
import type { Command } from 'commander';

/** Attaches one subcommand (or group of them) to the `alcor` program. */
export type RegisterCommand = (program: Command) => void;

/** The subcommand group `name` of `parent`, created with `description` the first time it is asked for. */
export function commandGroup(parent: Command, name: string, description: string): Command {
  const existing = parent.commands.find((c) => c.name() === name);
  return existing ?? parent.command(name).description(description);
}

/** Parses a numeric flag value, rejecting anything that is not a finite number. */
export function numberOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag}: "${value}" is not a number`);
    return n;
  };
}
