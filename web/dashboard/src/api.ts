/** The controller's APIs as the dashboard reads them: fetch with the caller's token, errors as exceptions. */
import type { KeystoneCredentials } from '../../../src/migrate/neutron-auth.js';
import type { HostView, Network, OperatorEvent, OperatorStatus, Port, ProgrammingLatency, Router, Subnet } from './types.js';

/** The controller answered 401: the page needs Keystone credentials (`keystoneUrl` from WWW-Authenticate). */
export class AuthRequired extends Error {
  constructor(readonly keystoneUrl: string) {
    super('authentication required');
  }
}

const TOKEN_KEY = 'alcor-dashboard-token';

/** Everything one refresh of the page shows. */
export interface Snapshot {
  /** The project drawn; its ports are the only ones read. */
  project: string;
  status: OperatorStatus;
  hosts: HostView[];
  events: OperatorEvent[];
  programming: ProgrammingLatency;
  networks: Network[];
  subnets: Subnet[];
  routers: Router[];
  ports: Port[];
}

/** Reads the controller that served the page. */
export class Api {
  private token: string | null = sessionStorage.getItem(TOKEN_KEY);

  async get<T>(path: string): Promise<T> {
    const res = await fetch(path, { headers: this.token ? { 'x-auth-token': this.token } : {} });
    if (res.status === 401) {
      this.forget();
      const header = res.headers.get('www-authenticate') ?? '';
      throw new AuthRequired(/uri="([^"]*)"/.exec(header)?.[1] ?? '');
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const message = (body as { NeutronError?: { message?: string } } | null)?.NeutronError?.message;
      throw new Error(`${path}: HTTP ${res.status}${message ? `: ${message}` : ''}`);
    }
    return body as T;
  }

  /**
   * Reads everything the page shows. `choose` picks the project to draw from the projects that own
   * networks or routers; only that project's ports are read (a cloud's ports are many).
   */
  async snapshot(choose: (projects: string[]) => string): Promise<Snapshot> {
    const [status, hosts, events, programming, networks, subnets, routers] = await Promise.all([
      this.get<{ status: OperatorStatus }>('/alcor/v1/status'),
      this.get<{ hosts: HostView[] }>('/alcor/v1/hosts'),
      this.get<{ events: OperatorEvent[] }>('/alcor/v1/events?limit=50'),
      this.get<{ programming: ProgrammingLatency }>('/alcor/v1/programming'),
      this.get<{ networks: Network[] }>('/v2.0/networks?fields=id&fields=name&fields=project_id&fields=status&fields=router:external'),
      this.get<{ subnets: Subnet[] }>('/v2.0/subnets?fields=id&fields=name&fields=network_id&fields=cidr&fields=project_id'),
      this.get<{ routers: Router[] }>('/v2.0/routers?fields=id&fields=name&fields=project_id&fields=status&fields=external_gateway_info'),
    ]);
    const projects = [...new Set([...networks.networks, ...routers.routers].map((x) => x.project_id).filter((p) => p !== ''))].sort();
    const project = choose(projects);
    const fields = ['id', 'name', 'network_id', 'project_id', 'status', 'device_owner', 'device_id', 'binding:host_id', 'fixed_ips'].map((f) => `fields=${f}`).join('&');
    const ports = project === '' ? [] : (await this.get<{ ports: Port[] }>(`/v2.0/ports?project_id=${encodeURIComponent(project)}&${fields}`)).ports;
    return {
      project, status: status.status, hosts: hosts.hosts, events: events.events, programming: programming.programming,
      networks: networks.networks, subnets: subnets.subnets, routers: routers.routers, ports,
    };
  }

  /** Asks Keystone for a project-scoped token and keeps it for this browser tab. */
  async login(c: KeystoneCredentials): Promise<void> {
    const res = await fetch(`${c.authUrl.replace(/\/+$/, '')}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName } } } },
          scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
        },
      }),
    });
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) throw new Error(`Keystone refused the credentials (HTTP ${res.status})`);
    this.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  forget(): void {
    this.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }
}
