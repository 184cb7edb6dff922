/**
 * Reads a Neutron's whole state through its v2.0 API as admin: every collection (following the
 * `<collection>_links` "next" pages when the server pages), plus the quota overrides and defaults.
 */
import { obtainToken, type NeutronAuth } from './neutron-auth.js';
import type { NeutronExport, NeutronProjectQuota } from './neutron-types.js';

/** Where and how to read Neutron. */
export interface NeutronSourceOptions {
  /** Neutron endpoint, without `/v2.0` (a trailing `/v2.0` is tolerated); from Keystone's catalog when undefined. */
  url?: string;
  auth: NeutronAuth;
  /** Per-request timeout. @default 60000 */
  timeoutMs?: number;
}

/** A minimal Neutron API reader. */
export class NeutronClient {
  private constructor(
    /** The endpoint this client reads (given, or found in Keystone's catalog). */
    readonly base: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Authenticates (Keystone, when configured) and returns a client. */
  static async connect(options: NeutronSourceOptions): Promise<NeutronClient> {
    const session = await obtainToken(options.auth);
    const url = options.url ?? session.networkEndpoint;
    if (url === undefined) throw new Error('no Neutron endpoint: give --url (or Keystone credentials whose catalog has a network endpoint)');
    const base = url.replace(/\/+$/, '').replace(/\/v2\.0$/, '');
    return new NeutronClient(base, session.token, options.timeoutMs ?? 60_000);
  }

  /** GET a path below the endpoint and decode its JSON body. */
  async get<T>(path: string): Promise<T> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers['x-auth-token'] = this.token;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Error(`Neutron at ${url} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** Every item of a collection, following pagination links. */
  async list<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = `/v2.0/${path}`;
    for (let page = 0; next !== undefined; page++) {
      if (page > 100_000) throw new Error(`GET /v2.0/${path}: pagination does not end`);
      const body: Record<string, unknown> = await this.get<Record<string, unknown>>(next);
      const list = body[key];
      if (!Array.isArray(list)) throw new Error(`GET /v2.0/${path}: the body has no "${key}" list`);
      items.push(...(list as T[]));
      const links = body[`${key}_links`] as { rel: string; href: string }[] | undefined;
      next = list.length > 0 ? links?.find((l) => l.rel === 'next')?.href : undefined;
    }
    return items;
  }

  /** Reads every collection the migration imports. */
  async readAll(): Promise<NeutronExport> {
    const [networks, subnets, ports, securityGroups, securityGroupRules, routers, floatingIps, rbacPolicies] = await Promise.all([
      this.list<NeutronExport['networks'][number]>('networks', 'networks'),
      this.list<NeutronExport['subnets'][number]>('subnets', 'subnets'),
      this.list<NeutronExport['ports'][number]>('ports', 'ports'),
      this.list<NeutronExport['securityGroups'][number]>('security-groups', 'security_groups'),
      this.list<NeutronExport['securityGroupRules'][number]>('security-group-rules', 'security_group_rules'),
      this.list<NeutronExport['routers'][number]>('routers', 'routers'),
      this.list<NeutronExport['floatingIps'][number]>('floatingips', 'floatingips'),
      this.list<NeutronExport['rbacPolicies'][number]>('rbac-policies', 'rbac_policies').catch(() => []),
    ]);
    // A Neutron without the quotas extension has no overrides to carry.
    const overrides = await this.get<{ quotas: Record<string, unknown>[] }>('/v2.0/quotas').catch((err: unknown) => {
      if (err instanceof Error && / answered HTTP 404/.test(err.message)) return { quotas: [] };
      throw err;
    });
    const quotas: NeutronProjectQuota[] = [];
    for (const q of overrides.quotas) {
      const project = String(q.project_id ?? q.tenant_id ?? '');
      const { quota } = await this.get<{ quota: Record<string, number> }>(`/v2.0/quotas/${encodeURIComponent(project)}`);
      quotas.push({ project_id: project, limits: quota });
    }
    // Defaults are the same for every project; any project name answers them.
    const probe = quotas[0]?.project_id ?? networks[0]?.project_id;
    const quotaDefaults = probe === undefined
      ? undefined
      : (await this.get<{ quota: Record<string, number> }>(`/v2.0/quotas/${encodeURIComponent(probe)}/default`).catch(() => undefined))?.quota;
    return { networks, subnets, ports, securityGroups, securityGroupRules, routers, floatingIps, rbacPolicies, quotas, quotaDefaults };
  }
}
