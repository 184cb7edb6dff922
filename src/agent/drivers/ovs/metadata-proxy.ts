/**
 * The agent's metadata proxy: an HTTP server on the metadata interface that forwards each VM request to
 * Nova's metadata API with the headers Nova's `service_metadata_proxy` mode trusts: `X-Instance-ID`
 * (the port's device_id), `X-Tenant-ID` (the port's project), `X-Forwarded-For` (the VM's fixed IP)
 * and `X-Instance-ID-Signature` (HMAC-SHA256 of the instance id keyed with the shared secret, hex). The
 * instance is the port the connection came from (its source address names the OpenFlow port, see
 * compile-metadata.ts); the same headers sent by the VM are dropped, never passed on.
 */
import { createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { MetadataService } from '../../driver.js';

/** Who a request is from, as the agent knows it. */
export interface MetadataRequester {
  instanceId: string;
  projectId: string;
  ip: string;
}

/** Counters of the proxy. */
export interface MetadataCounters {
  metadataRequests: number;
  metadataRejected: number;
  metadataUpstreamErrors: number;
}

/** Headers a VM may not set (Nova or Neutron read them as identity) and hop-by-hop headers. */
const DROPPED = new Set([
  'x-instance-id', 'x-instance-id-signature', 'x-tenant-id', 'x-forwarded-for', 'x-metadata-provider', 'x-metadata-provider-signature',
  'host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** `X-Instance-ID-Signature`: what Nova recomputes from its `metadata_proxy_shared_secret`. */
export function signInstanceId(instanceId: string, sharedSecret: string): string {
  return createHmac('sha256', sharedSecret).update(instanceId, 'utf8').digest('hex');
}

/** The headers forwarded to Nova: the VM's own minus identity and hop-by-hop ones, plus the requester's identity. */
export function forwardedHeaders(incoming: IncomingHttpHeaders, requester: MetadataRequester, sharedSecret: string, upstreamHost: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) if (value !== undefined && !DROPPED.has(name.toLowerCase())) out[name] = value;
  out.host = upstreamHost;
  out['x-instance-id'] = requester.instanceId;
  out['x-tenant-id'] = requester.projectId;
  out['x-forwarded-for'] = requester.ip;
  out['x-instance-id-signature'] = signInstanceId(requester.instanceId, sharedSecret);
  return out;
}

/** The proxy; `identify` maps a connection's source address to the requester, or undefined. */
export class MetadataProxy {
  readonly counters: MetadataCounters = { metadataRequests: 0, metadataRejected: 0, metadataUpstreamErrors: 0 };
  private server: Server | undefined;
  private readonly upstream: URL;

  constructor(
    private readonly service: MetadataService,
    private readonly identify: (sourceIp: string) => MetadataRequester | undefined,
    private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void,
  ) {
    this.upstream = new URL(service.url);
    if (this.upstream.protocol !== 'http:' && this.upstream.protocol !== 'https:') throw new TypeError(`metadata URL ${service.url} is not http(s)`);
  }

  /** Listens on `address:80`. */
  async listen(address: string): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(80, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.metadataRequests++;
    const source = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const requester = this.identify(source);
    if (!requester) {
      this.counters.metadataRejected++;
      this.log('warn', 'metadata request from an unknown source', { source });
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 Not Found\n');
      return;
    }
    const base = this.upstream.pathname.replace(/\/+$/, '');
    const send = this.upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      {
        protocol: this.upstream.protocol,
        hostname: this.upstream.hostname.replace(/^\[|\]$/g, ''),
        port: this.upstream.port || undefined,
        method: req.method,
        path: `${base}${req.url ?? '/'}`,
        headers: forwardedHeaders(req.headers, requester, this.service.sharedSecret, this.upstream.host),
        timeout: 30_000,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => {
      this.counters.metadataUpstreamErrors++;
      this.log('warn', 'metadata request to nova failed', { error: err.message, instance: requester.instanceId });
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('502 Bad Gateway\n');
      else res.destroy();
    });
    req.pipe(upstream);
  }
}
