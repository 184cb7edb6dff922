/**
 * How the migration authenticates to Neutron: a given token (`X-Auth-Token`), a token obtained from
 * Keystone v3 with the same options the `openstack` CLI takes, or nothing (a noauth Neutron).
 */

/** Keystone password credentials, named as the openstack CLI names them. */
export interface KeystoneCredentials {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

/** One of the three ways to authenticate. */
export type NeutronAuth = { kind: 'none' } | { kind: 'token'; token: string } | { kind: 'keystone'; credentials: KeystoneCredentials };

/** The token to send, or undefined for noauth. Keystone answers the token in the `X-Subject-Token` header. */
export async function obtainToken(auth: NeutronAuth): Promise<string | undefined> {
  if (auth.kind === 'none') return undefined;
  if (auth.kind === 'token') return auth.token;
  const c = auth.credentials;
  const url = `${c.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3/auth/tokens`;
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName } } } },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    },
  };
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new Error(`Keystone at ${url} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) {
    const text = await res.text().catch(() => '');
    throw new Error(`Keystone refused the credentials of ${c.username} for project ${c.projectName} (HTTP ${res.status}): ${text.slice(0, 300)}`);
  }
  return token;
}
