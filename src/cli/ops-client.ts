/**
 * How the operator commands (`alcor status|hosts|port|trace`) reach a controller: `--url`, credentials
 * as for the openstack CLI (see os-auth.ts), GET requests to the admin API under /alcor/v1, and errors
 * turned into one clear line. Exit codes: 0 done, 1 a negative answer (a trace that drops), 2 the
 * request failed (bad input, unknown id, not admin, controller unreachable).
 */
import type { Command } from 'commander';
import { obtainToken } from '../migrate/neutron-auth.js';
import { addOsAuthOptions, authOf, type OsAuthFlags } from './os-auth.js';

/** Flags every operator command takes. */
export interface OpsFlags extends OsAuthFlags {
  url?: string;
  json: boolean;
}

/** A request the controller refused or could not answer; printed as one line, exit 2. */
export class OpsError extends Error {
  override name = 'OpsError';
}

/** Adds `--url`, the credentials flags and `--json` to `cmd`. */
export function addOpsOptions(cmd: Command): Command {
  return addOsAuthOptions(
    cmd.option('--url <url>', "controller API, e.g. http://controller:9696 (ALCOR_URL; default: Keystone's network endpoint, else http://127.0.0.1:9696)", process.env.ALCOR_URL),
    'project to scope the token to (an admin project)',
  ).option('--json', 'print JSON for scripts instead of tables', false);
}

/** GETs `path` (under /alcor/v1) and returns the parsed body; throws OpsError with the controller's message. */
export async function getOps<T>(flags: OpsFlags, path: string): Promise<T> {
  const session = await obtainToken(authOf(flags));
  const base = (flags.url ?? session.networkEndpoint ?? 'http://127.0.0.1:9696').replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/alcor/v1${path}`, { headers: session.token ? { 'x-auth-token': session.token } : {} });
  } catch (err) {
    throw new OpsError(`the controller at ${base} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok && body !== undefined) return body as T;
  const fault = (body as { NeutronError?: { message?: string } } | undefined)?.NeutronError?.message;
  if (res.status === 404 && fault === undefined) throw new OpsError(`${base} has no operator API (/alcor/v1): is it an Alcor controller?`);
  throw new OpsError(fault ?? `HTTP ${res.status} from ${base}: ${text.slice(0, 200)}`);
}

/** Runs a command body, turning OpsError (and credential problems) into one line on stderr and exit 2. */
export function opsAction<F>(body: (flags: F, ...args: string[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    // commander passes positional arguments first, then the options, then the command.
    const positional = args.slice(0, -2).map(String);
    const flags = args[args.length - 2] as F;
    try {
      await body(flags, ...positional);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      process.stderr.write(`alcor: ${err.message}\n`);
      process.exitCode = 2;
    }
  };
}

/** Prints `value` as JSON, or the table text from `format`. */
export function print(flags: OpsFlags, value: unknown, format: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : format());
}
