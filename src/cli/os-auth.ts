/**
 * OpenStack credentials on the command line, as the openstack CLI takes them: `--token`, or Keystone
 * password credentials from `--os-*` flags whose defaults are the usual OS_* environment variables, or a
 * cloud of clouds.yaml (`--os-cloud`, OS_CLOUD) whose values the flags and variables override.
 */
import type { Command } from 'commander';
import type { NeutronAuth } from '../migrate/neutron-auth.js';
import { loadCloud } from './clouds-yaml.js';

/** The flags `addOsAuthOptions` adds. */
export interface OsAuthFlags {
  token?: string;
  osCloud?: string;
  osAuthUrl?: string;
  osUsername?: string;
  osPassword?: string;
  osProjectName?: string;
  osUserDomainName?: string;
  osProjectDomainName?: string;
}

/** Adds `--token` and the `--os-*` Keystone flags to `cmd`. */
export function addOsAuthOptions(cmd: Command, projectHint = 'project to scope the token to'): Command {
  const env = process.env;
  return cmd
    .option('--token <token>', 'X-Auth-Token to send (instead of Keystone credentials) (OS_TOKEN)', env.OS_TOKEN)
    .option('--os-cloud <name>', 'cloud of clouds.yaml to take credentials from; flags and OS_* variables override it (OS_CLOUD)', env.OS_CLOUD)
    .option('--os-auth-url <url>', 'Keystone URL (v3), as for the openstack CLI (OS_AUTH_URL)', env.OS_AUTH_URL)
    .option('--os-username <name>', 'Keystone user (OS_USERNAME)', env.OS_USERNAME)
    .option('--os-password <password>', 'Keystone password (OS_PASSWORD)', env.OS_PASSWORD)
    .option('--os-project-name <name>', `${projectHint} (OS_PROJECT_NAME)`, env.OS_PROJECT_NAME)
    .option('--os-user-domain-name <name>', 'domain of the user (OS_USER_DOMAIN_NAME; default Default)', env.OS_USER_DOMAIN_NAME)
    .option('--os-project-domain-name <name>', 'domain of the project (OS_PROJECT_DOMAIN_NAME; default Default)', env.OS_PROJECT_DOMAIN_NAME);
}

/** How to authenticate: a token, Keystone credentials, or nothing (a noauth endpoint). */
export function authOf(given: OsAuthFlags): NeutronAuth {
  const cloud = given.osCloud ? loadCloud(given.osCloud) : {};
  const flags: OsAuthFlags = {
    token: given.token ?? cloud.token,
    osAuthUrl: given.osAuthUrl ?? cloud.authUrl,
    osUsername: given.osUsername ?? cloud.username,
    osPassword: given.osPassword ?? cloud.password,
    osProjectName: given.osProjectName ?? cloud.projectName,
    osUserDomainName: given.osUserDomainName ?? cloud.userDomainName ?? 'Default',
    osProjectDomainName: given.osProjectDomainName ?? cloud.projectDomainName ?? 'Default',
  };
  if (flags.token) return { kind: 'token', token: flags.token };
  if (!flags.osAuthUrl) return { kind: 'none' };
  const missing = (['osUsername', 'osPassword', 'osProjectName'] as const).filter((k) => !flags[k]);
  if (missing.length > 0) throw new Error(`--os-auth-url needs ${missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  return {
    kind: 'keystone',
    credentials: {
      authUrl: flags.osAuthUrl, username: flags.osUsername ?? '', password: flags.osPassword ?? '', projectName: flags.osProjectName ?? '',
      userDomainName: flags.osUserDomainName ?? 'Default', projectDomainName: flags.osProjectDomainName ?? 'Default',
    },
  };
}
