/**
 * Metadata for testbed VMs: a stand-in for Nova's metadata API that checks the proxy's headers the way
 * Nova's handler does, and the link each host's agent serves the metadata proxy on.
 *
 * The stand-in (in `service_metadata_proxy` mode, as Nova runs behind Neutron): X-Instance-ID,
 * X-Instance-ID-Signature and X-Tenant-ID must be present (400 otherwise); the signature must equal
 * the hex HMAC-SHA256 of the instance id keyed with the shared secret, compared in constant time (403
 * "Invalid proxy request signature." otherwise, also when empty); an instance it does not know, or one
 * of another project than X-Tenant-ID, is 404. It answers `/openstack/latest/meta_data.json` with the
 * instance's uuid and project, and `/openstack/latest/instance-id` with the bare id.
 *
 * The link: the agents of the testbed run in the root namespace, OVS in each host's namespace, so the
 * proxy's interface is the root end of a veth pair whose other end is a port on the host's br-int
 * (`alcor-agent --driver-opt metadata-port=md0 --driver-opt metadata-interface=<root end>`), each host
 * with its own address range so that the proxies of all hosts can share the root namespace.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { run, runIn } from './exec.js';
import type { OvsHost } from './ovs-host.js';

/** One request the stand-in saw, for tests. */
export interface SeenMetadataRequest {
  path: string;
  status: number;
  headers: IncomingMessage['headers'];
}

/** Nova's signature check: hex HMAC-SHA256 of the id, constant-time compare; an empty signature fails. */
export function novaSignatureValid(instanceId: string, signature: string, sharedSecret: string): boolean {
  const expected = Buffer.from(createHmac('sha256', sharedSecret).update(instanceId, 'utf8').digest('hex'), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; compare against the expected value itself to keep the time flat.
  const same = timingSafeEqual(expected, given.length === expected.length ? given : expected);
  return signature !== '' && given.length === expected.length && same;
}

/** The stand-in metadata API. */
export class MetadataStandIn {
  /** Instance id → project id. */
  readonly instances = new Map<string, string>();
  readonly requests: SeenMetadataRequest[] = [];
  private server: Server | undefined;
  private address = '';

  constructor(readonly sharedSecret: string) {}

  /** Base URL agents forward to. */
  get url(): string {
    return this.address;
  }

  /** Listens on `host:port` (port 0 = any free one). */
  async listen(host = '127.0.0.1', port = 0): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const bound = server.address();
    this.address = `http://${host}:${typeof bound === 'object' && bound ? bound.port : port}`;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const answer = (status: number, body: string, type = 'text/plain; charset=UTF-8') => {
      this.requests.push({ path: req.url ?? '', status, headers: req.headers });
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    const header = (name: string) => req.headers[name];
    const instanceId = header('x-instance-id');
    const signature = header('x-instance-id-signature');
    const tenantId = header('x-tenant-id');
    if (instanceId === undefined) return answer(400, 'X-Instance-ID header is missing from request.');
    if (signature === undefined) return answer(400, 'X-Instance-ID-Signature header is missing from request.');
    if (tenantId === undefined) return answer(400, 'X-Tenant-ID header is missing from request.');
    if (Array.isArray(instanceId) || Array.isArray(tenantId) || Array.isArray(signature)) return answer(400, 'Multiple X-Instance-ID or X-Tenant-ID headers found within request.');
    if (!novaSignatureValid(instanceId, signature, this.sharedSecret)) return answer(403, 'Invalid proxy request signature.');
    const project = this.instances.get(instanceId);
    if (project === undefined || project !== tenantId) return answer(404, 'Not Found');
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (path === '/openstack/latest/meta_data.json') return answer(200, JSON.stringify({ uuid: instanceId, project_id: project }), 'application/json');
    if (path === '/openstack/latest/instance-id') return answer(200, instanceId);
    return answer(404, 'Not Found');
  }
}

/** Driver options that make a host's agent serve metadata on its link (see `wireMetadataLink`). */
export interface MetadataLinkOptions {
  'metadata-port': string;
  'metadata-interface': string;
  'metadata-cidr': string;
}

/** The link's names and range for a host (`h<N>` gets 169.254.<16·N>.0/20). */
export function metadataLinkOptions(host: OvsHost): MetadataLinkOptions {
  const index = Number(/(\d+)$/.exec(host.name)?.[1] ?? 0);
  if (!(index >= 1 && index <= 15)) throw new Error(`testbed metadata link: host ${host.name} is not h1..h15`);
  return { 'metadata-port': 'md0', 'metadata-interface': `${host.netns}md`, 'metadata-cidr': `169.254.${16 * index}.0/20` };
}

/**
 * Wires a host's metadata link (idempotent): a veth pair, `md0` on br-int in the host's namespace and
 * its peer in the root namespace (which goes away with the host's namespace). The root end computes
 * its own checksums, as the userspace datapath does not complete them.
 */
export async function wireMetadataLink(host: OvsHost): Promise<MetadataLinkOptions> {
  const options = metadataLinkOptions(host);
  const root = options['metadata-interface'];
  const exists = (await run('ip', ['link', 'show', root], { allowFailure: true })).code === 0;
  if (!exists) {
    await run('ip', ['link', 'add', root, 'type', 'veth', 'peer', 'name', 'md0', 'netns', host.netns]);
    await run('sh', ['-c', `ethtool -K ${root} tx off >/dev/null 2>&1 || true`]);
    await runIn(host.netns, 'ip', ['link', 'set', 'md0', 'up']);
  }
  await host.vsctl(['--', '--may-exist', 'add-port', 'br-int', 'md0']);
  return options;
}
