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

/** A token and, from Keystone, the `network` endpoint of its catalog (public interface). */
export interface Session {
  token?: string;
  networkEndpoint?: string;
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; url: string; region?: string }[];
}

/** The token to send (undefined for noauth). Keystone answers the token in the `X-Subject-Token` header. */
export async function obtainToken(auth: NeutronAuth): Promise<Session> {
  if (auth.kind === 'none') return {};
  if (auth.kind === 'token') return { token: auth.token };
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
  const answer = (await res.json().catch(() => ({}))) as { token?: { catalog?: CatalogEntry[] } };
  const network = answer.token?.catalog?.find((e) => e.type === 'network');
  const endpoint = network?.endpoints.find((e) => e.interface === 'public') ?? network?.endpoints[0];
  return { token, networkEndpoint: endpoint?.url };
}
