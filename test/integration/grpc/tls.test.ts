/**
 * Mutual TLS on the Watch stream with real certificates made by openssl: who may connect, which host
 * a certificate may speak for, and certificate rotation without a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { AckSchema, HelloSchema, ResourceResultSchema, ResultStatus, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { TlsFiles } from '../../../src/proto/tls-files.js';
import { makeCa, makeCertificate, type CertificateFiles } from '../../../src/southbound/pki.js';
import { waitFor } from '../../harness/wait-for.js';
import { createNetwork, createPort, createSubnet, portStatus, withSouthbound, type SouthboundFixture } from '../southbound/harness.js';

interface Pki {
  dir: string;
  ca: CertificateFiles;
  controller: CertificateFiles;
  /** TLS files of a host certificate signed by `ca`. */
  host(name: string, options?: { days?: number; ips?: string[]; file?: string }): TlsFiles;
}

function pki(f: SouthboundFixture): Pki {
  const dir = f.dir('pki');
  const ca = makeCa(dir);
  const controller = makeCertificate(dir, ca, { name: 'alcor-controller', dns: ['localhost'], ips: ['127.0.0.1'] });
  return {
    dir,
    ca,
    controller,
    host(name, options = {}) {
      const cert = makeCertificate(dir, ca, { name, ...options });
      return new TlsFiles({ ca: ca.cert, ...cert });
    },
  };
}

async function tlsController(f: SouthboundFixture, p: Pki, options: { tlsWatchMs?: number } = {}) {
  return f.controller({ tls: { ca: p.ca.cert, cert: p.controller.cert, key: p.controller.key }, ...options });
}

/** A raw Watch stream with a host certificate; resolves its status when it ends. */
function rawStream(f: SouthboundFixture, address: string, tls: TlsFiles) {
  const client = new grpc.Client(address, grpc.credentials.createSsl(tls.current.ca, tls.current.key, tls.current.cert));
  f.defer(() => client.close());
  const call = client.makeBidiStreamRequest<Uint8Array, Buffer>('/alcor.v1.SouthboundService/Watch', (b) => Buffer.from(b), (b) => b);
  const received: Buffer[] = [];
  call.on('data', (b: Buffer) => received.push(b));
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => {});
  f.defer(() => call.cancel());
  const hello = (hostId: string, datapathIp: string) =>
    call.write(toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'hello', value: create(HelloSchema, { hostId, datapathIp, protocolVersion: 1 }) } })));
  return { call, received, status, hello };
}

test('grpc tls - an agent with a host certificate connects over mutual TLS and programs its port to ACTIVE', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const p = pki(f);
    const c = await tlsController(f, p);
    const h1 = await f.agent(c.address, 'h1', { tls: p.host('h1', { ips: ['192.0.2.1'] }) });
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.40.0.0/24');
    const port = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.40.0.2', host: 'h1' });
    await waitFor(async () => (await portStatus(c.store, port)) === 'ACTIVE', 15_000, 'port ACTIVE over TLS');
    assert.ok(h1.agent.desired.view.port.has(port));
    assert.equal(c.southbound.server.sessions.get('h1')?.call.getAuthContext().transportSecurityType, 'ssl');
  }),
);

test('grpc tls - another CA, an expired certificate and a plaintext client are refused at the handshake', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const p = pki(f);
    const c = await tlsController(f, p);
    const otherCa = makeCa(join(p.dir, 'other'), 'someone-else');
    const foreign = makeCertificate(join(p.dir, 'other'), otherCa, { name: 'h-foreign' });
    const cases = [
      { host: 'h-foreign', tls: new TlsFiles({ ca: p.ca.cert, ...foreign }), datapathIp: '192.0.2.11' },
      { host: 'h-expired', tls: p.host('h-expired', { days: -1 }), datapathIp: '192.0.2.12' },
      { host: 'h-plain', tls: undefined, datapathIp: '192.0.2.13' },
    ];
    for (const k of cases) {
      const a = await f.agent(c.address, k.host, { datapathIp: k.datapathIp, ...(k.tls ? { tls: k.tls } : {}) });
      await waitFor(() => a.agent.lastError?.code === grpc.status.UNAVAILABLE, 15_000, `${k.host} refused`);
      await a.agent.close();
    }
    assert.equal(c.southbound.server.sessions.size, 0, 'no session was opened');
    const rows = await c.store.read((q) => q.all<{ host: string }>('SELECT host FROM hosts'));
    assert.deepEqual(rows, [], 'nothing registered');
  }),
);

test('grpc tls - a certificate speaks only for its own host: another host id, its goal state and its ports are refused', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const p = pki(f);
    const c = await tlsController(f, p);
    const hostB = await f.agent(c.address, 'host-b', { datapathIp: '192.0.2.2', tls: p.host('host-b') });
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.41.0.0/24');
    const portB = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.41.0.2', host: 'host-b' });
    await waitFor(async () => (await portStatus(c.store, portB)) === 'ACTIVE', 15_000, 'host-b port ACTIVE');
    await hostB.agent.close();
    await waitFor(async () => (await portStatus(c.store, portB)) === 'DOWN', 15_000, 'host-b gone');

    const certA = p.host('host-a');
    // host-a's certificate asking for host-b's goal state while host-b is away: refused, nothing sent.
    const impostor = rawStream(f, c.address, certA);
    impostor.hello('host-b', '192.0.2.2');
    const refused = await impostor.status;
    assert.equal(refused.code, grpc.status.PERMISSION_DENIED);
    assert.match(refused.details, /does not match the client certificate/);
    assert.equal(impostor.received.length, 0, 'no goal state reached the impostor');
    // The agent refuses the same way when --host-id does not match its certificate.
    const mismatch = await f.agent(c.address, 'host-b', { datapathIp: '192.0.2.2', tls: certA });
    await waitFor(() => mismatch.agent.lastError?.code === grpc.status.PERMISSION_DENIED, 15_000, 'CN mismatch refused');
    await mismatch.agent.close();
    // host-a may not take host-b's datapath address either.
    const takeover = rawStream(f, c.address, certA);
    takeover.hello('host-a', '192.0.2.2');
    assert.equal((await takeover.status).code, grpc.status.PERMISSION_DENIED);

    // Bring host-b back; host-a, connected as itself, reports host-b's port FAILED: ignored.
    const back = await f.agent(c.address, 'host-b', { datapathIp: '192.0.2.2', tls: p.host('host-b', { file: 'host-b-2' }) });
    await waitFor(async () => (await portStatus(c.store, portB)) === 'ACTIVE', 15_000, 'host-b port ACTIVE again');
    const hostA = rawStream(f, c.address, certA);
    hostA.hello('host-a', '192.0.2.1');
    await waitFor(() => c.southbound.server.sessions.get('host-a')?.state === 'live', 10_000, 'host-a live');
    const ignoredBefore = c.southbound.server.counters.ignored;
    const forged = create(AckSchema, {
      revision: BigInt(c.southbound.server.sessions.get('host-a')?.sentRevision ?? 0),
      results: [
        create(ResourceResultSchema, { type: ResourceType.PORT, id: portB, status: ResultStatus.FAILED, error: 'forged' }),
        create(ResourceResultSchema, { type: ResourceType.DHCP, id: portB, status: ResultStatus.PENDING }),
      ],
    });
    hostA.call.write(toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'ack', value: forged } })));
    await waitFor(() => c.southbound.server.counters.ignored > ignoredBefore, 10_000, 'foreign ack results refused and logged');
    await c.southbound.manager.portStatus.flush();
    assert.equal(await portStatus(c.store, portB), 'ACTIVE', 'host-b port untouched');
    assert.equal(c.southbound.manager.portStatus.waitingPorts('host-a'), 0);
    await back.agent.close();
  }),
);

test('grpc tls - rotation without restart: a new controller certificate and a new agent CA take effect on the next connection', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const p = pki(f);
    const c = await tlsController(f, p, { tlsWatchMs: 100 });
    const probe = p.host('probe').current;
    const serial = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: c.southbound.port, ALPNProtocols: ['h2'], ...probe }, () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.destroy();
        });
        socket.on('error', reject);
      });
    const before = await serial();
    // A new controller certificate is copied over the old files: the file watcher picks it up.
    const next = makeCertificate(join(p.dir, 'next'), p.ca, { name: 'alcor-controller', dns: ['localhost'], ips: ['127.0.0.1'] });
    copyFileSync(next.key, `${p.controller.key}.new`);
    copyFileSync(next.cert, `${p.controller.cert}.new`);
    renameSync(`${p.controller.key}.new`, p.controller.key);
    renameSync(`${p.controller.cert}.new`, p.controller.cert);
    await waitFor(async () => (await serial()) !== before, 10_000, 'new controller certificate served');
    // Agents move to a new CA: the controller's CA file becomes a bundle of both, re-read on reload().
    const newCa = makeCa(join(p.dir, 'ca2'), 'alcor-southbound-ca-2');
    const h2 = makeCertificate(join(p.dir, 'ca2'), newCa, { name: 'h2' });
    const agent = await f.agent(c.address, 'h2', { datapathIp: '192.0.2.22', tls: new TlsFiles({ ca: p.ca.cert, ...h2 }) });
    await waitFor(() => agent.agent.lastError?.code === grpc.status.UNAVAILABLE, 15_000, 'new CA not trusted yet');
    writeFileSync(p.ca.cert, Buffer.concat([readFileSync(p.ca.cert), readFileSync(newCa.cert)]));
    assert.equal(c.southbound.server.reloadTls(), true);
    await waitFor(() => c.southbound.server.sessions.get('h2')?.state === 'live', 15_000, 'agent of the new CA accepted');
    // Invalid files (a key that does not match) are refused and the working ones stay.
    copyFileSync(h2.key, p.controller.key);
    assert.equal(c.southbound.server.reloadTls(), false);
    assert.ok(c.southbound.server.tls && c.southbound.server.tls.counters.rejected >= 1);
  }),
);
