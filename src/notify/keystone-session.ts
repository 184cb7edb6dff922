/**
 * The token and compute endpoint the controller uses to talk to Nova in keystone mode: password auth of
 * the service user (Keystone v3), renewed shortly before it expires or when Nova rejects it, and Nova's
 * endpoint taken from the token's catalog (service type `compute`, the configured region and interface)
 * when no URL is configured.
 */

/** Keystone password credentials of the service user and where to find Nova in the catalog. */
export interface KeystoneSessionOptions {
  url: string;
  username: string;
  password: string;
  project: string;
  domain: string;
  /** Catalog region of the compute endpoint; '' = any. */
  region: string;
  /** Catalog interface of the compute endpoint: public, internal or admin. */
  interface: string;
}

interface CatalogEntry {
  type?: string;
  endpoints?: { interface?: string; region?: string; region_id?: string; url?: string }[];
}

interface TokenAnswer {
  token?: { expires_at?: string; catalog?: CatalogEntry[] };
}

/** Renew this long before the token expires. */
const RENEW_MARGIN_MS = 60_000;

/** A service token and the catalog's compute endpoint. */
export class KeystoneSession {
  private current: { token: string; expiresAt: number; computeUrl: string | undefined } | undefined;

  constructor(private readonly options: KeystoneSessionOptions) {}

  /** A valid token (a new one when `renew` or close to expiry). Throws when Keystone refuses or is unreachable. */
  async token(renew = false): Promise<string> {
    return (await this.session(renew)).token;
  }

  /** Nova's endpoint from the catalog, or undefined when the catalog has none for the region and interface. */
  async computeUrl(): Promise<string | undefined> {
    return (await this.session(false)).computeUrl;
  }

  private async session(renew: boolean): Promise<{ token: string; expiresAt: number; computeUrl: string | undefined }> {
    if (!renew && this.current && this.current.expiresAt - RENEW_MARGIN_MS > Date.now()) return this.current;
    const o = this.options;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: o.username, domain: { name: o.domain }, password: o.password } } },
        scope: { project: { name: o.project, domain: { name: o.domain } } },
      },
    };
    const res = await fetch(`${o.url}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const token = res.headers.get('x-subject-token');
    const answer = (await res.json().catch(() => ({}))) as TokenAnswer;
    if (res.status !== 201 || !token) throw new Error(`Keystone refused the service user ${o.username} (HTTP ${res.status})`);
    const expiresAt = Date.parse(answer.token?.expires_at ?? '');
    this.current = { token, expiresAt: Number.isNaN(expiresAt) ? Date.now() + 3600_000 : expiresAt, computeUrl: this.findCompute(answer) };
    return this.current;
  }

  private findCompute(answer: TokenAnswer): string | undefined {
    const compute = answer.token?.catalog?.find((e) => e.type === 'compute');
    const endpoint = compute?.endpoints?.find(
      (e) => e.interface === this.options.interface && (this.options.region === '' || (e.region_id ?? e.region) === this.options.region),
    );
    return endpoint?.url?.replace(/\/+$/, '');
  }
}
