/**
 * clouds.yaml, as the openstack CLI reads it: the file named by OS_CLIENT_CONFIG_FILE, else the first of
 * ./clouds.yaml, ~/.config/openstack/clouds.yaml (XDG_CONFIG_HOME) and /etc/openstack/clouds.yaml; a
 * cloud's `auth` section gives the Keystone URL, the user, password, project and domains, or a token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** What a cloud entry says about authentication (absent keys are undefined). */
export interface CloudAuth {
  authUrl?: string;
  username?: string;
  password?: string;
  projectName?: string;
  userDomainName?: string;
  projectDomainName?: string;
  token?: string;
}

/** The files searched, in order (the openstack CLI's order). */
export function cloudsYamlPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.OS_CLIENT_CONFIG_FILE) return [env.OS_CLIENT_CONFIG_FILE];
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return [join(process.cwd(), 'clouds.yaml'), join(config, 'openstack', 'clouds.yaml'), '/etc/openstack/clouds.yaml'];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The auth of cloud `name` from the first clouds.yaml found; throws a message naming what is missing. */
export function loadCloud(name: string, paths = cloudsYamlPaths()): CloudAuth {
  const file = paths.find((p) => existsSync(p));
  if (!file) throw new Error(`--os-cloud ${name}: no clouds.yaml (looked for ${paths.join(', ')})`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const clouds = (doc as { clouds?: Record<string, unknown> } | null)?.clouds;
  const cloud = clouds?.[name] as { auth?: Record<string, unknown>; auth_type?: unknown } | undefined;
  if (!cloud || typeof cloud !== 'object') throw new Error(`--os-cloud ${name}: no cloud "${name}" in ${file} (it has: ${Object.keys(clouds ?? {}).join(', ') || 'none'})`);
  const auth = cloud.auth ?? {};
  const domain = text(auth.domain_name);
  return {
    authUrl: text(auth.auth_url),
    username: text(auth.username),
    password: text(auth.password),
    projectName: text(auth.project_name),
    userDomainName: text(auth.user_domain_name) ?? domain,
    projectDomainName: text(auth.project_domain_name) ?? domain,
    token: text(auth.token),
  };
}
