/**
 * The bus with TLS and per-host identities against a private nats-server: the certificates made for the
 * southbound are the NATS users (verify_and_map) with the permissions of nats-permissions.ts. A host's
 * agent consumes its VPCs and acks on the bus; with the same certificate, a client can neither read nor
 * write another host's subjects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { natsTlsOptions, TlsFiles } from '../../../src/proto/tls-files.js';
import { encodeBusAck } from '../../../src/proto/bus-ack.js';
import { natsAuthorization } from '../../../src/southbound/nats-permissions.js';
import { makeCa, makeCertificate } from '../../../src/southbound/pki.js';
import { PrivateNats } from '../../harness/nats.js';
import { waitFor } from '../../harness/wait-for.js';
import { createNetwork, createPort, createSubnet, portStatus, withSouthbound } from './harness.js';

const MQ_ONLY = { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } as const;

test('nats tls - a host certificate consumes its VPCs on the bus and cannot read or write another host\'s subjects', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const dir = f.dir('nats-pki');
    const ca = makeCa(dir);
    const controller = makeCertificate(dir, ca, { name: 'alcor-controller', dns: ['localhost'], ips: ['127.0.0.1'] });
    const hostA = { ca: ca.cert, ...makeCertificate(dir, ca, { name: 'host-a' }) };
    const hostB = { ca: ca.cert, ...makeCertificate(dir, ca, { name: 'host-b' }) };
    const controllerFiles = { ca: ca.cert, ...controller };
    const bus = { stream: 'ALCOR_TLS', prefix: 'tls1' };
    const config = join(dir, 'nats.conf');
    writeFileSync(config, [
      `tls { cert_file: ${JSON.stringify(controller.cert)}, key_file: ${JSON.stringify(controller.key)}, ca_file: ${JSON.stringify(ca.cert)}, verify_and_map: true }`,
      natsAuthorization({ ...bus, hosts: ['host-a', 'host-b'] }),
    ].join('\n'));
    const nats = await PrivateNats.start({ config, connect: natsTlsOptions(controllerFiles) });
    f.defer(() => void nats.stop());

    const c = await f.controller({ tls: controllerFiles, channels: MQ_ONLY, nats: { url: nats.url, ...bus, tls: controllerFiles } });
    const a = await f.agent(c.address, 'host-a', { datapathIp: '192.0.2.1', tls: new TlsFiles(hostA), nats: { url: nats.url, ...bus, tls: hostA } });
    await f.agent(c.address, 'host-b', { datapathIp: '192.0.2.2', tls: new TlsFiles(hostB), nats: { url: nats.url, ...bus, tls: hostB } });
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.42.0.0/24');
    const port = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.42.0.2', host: 'host-a' });
    await waitFor(async () => (await portStatus(c.store, port)) === 'ACTIVE', 20_000, 'host-a port ACTIVE');
    const second = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.42.0.3', host: 'host-a' });
    await waitFor(() => a.agent.desired.view.port.has(second), 20_000, 'second port delivered');
    await waitFor(() => (a.agent.bus?.counters.applied ?? 0) > 0, 20_000, 'a delta came over the bus');
    await waitFor(() => c.southbound.bus?.applied.get('host-a')?.has(net), 20_000, 'host-a acked on the bus');
    // Restarted, the agent catches up from the stream with a JetStream consumer: the API requests its
    // permissions allow.
    await a.agent.close();
    const missed = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.42.0.4', host: 'host-b' });
    const again = await f.agent(c.address, 'host-a', { datapathIp: '192.0.2.1', stateDir: a.stateDir, tls: new TlsFiles(hostA), nats: { url: nats.url, ...bus, tls: hostA } });
    await waitFor(() => again.agent.desired.view.neighbor.has(missed), 20_000, 'missed neighbor caught up');
    assert.ok((again.agent.bus?.counters.catchUps ?? 0) >= 1, 'caught up with a JetStream consumer');
    assert.equal(again.agent.counters.snapshots, 0, 'without falling back to a snapshot');

    // A client holding host-a's certificate tries host-b's subjects.
    const nc = await connect({ servers: nats.url, ...natsTlsOptions(hostA), inboxPrefix: '_INBOX_host-a' });
    f.defer(() => void nc.close());
    const denied = (subject: string) =>
      new Promise<string>((resolve) => nc.subscribe(subject, { callback: (err) => (err ? resolve(err.message) : undefined) }));
    assert.match(await denied(`${bus.prefix}.ack.host-b`), /permissions violation/i);
    assert.match(await denied('_INBOX_host-b.>'), /permissions violation/i);
    // Both hosts' own acks of the last change first: arriving later, they would move the counts legitimately.
    const settled = (host: string) => c.southbound.bus?.applied.get(host)?.get(net) === c.southbound.manager.revision;
    await waitFor(() => settled('host-a') && settled('host-b'), 10_000, 'both hosts acked the last change on the bus');
    const hostBBefore = c.southbound.bus?.applied.get('host-b')?.get(net);
    const acksBefore = c.southbound.bus?.counters.acks ?? 0;
    nc.publish(`${bus.prefix}.ack.host-b`, encodeBusAck({ hostId: 'host-b', vpcId: net, revision: 1_000_000, streamSequence: 1 }));
    // Its own subject is allowed, but an ack naming another host on it is dropped by the controller.
    nc.publish(`${bus.prefix}.ack.host-a`, encodeBusAck({ hostId: 'host-b', vpcId: net, revision: 1_000_000, streamSequence: 1 }));
    // And on its own subject, an ack of a VPC it does not hold or of a revision never published is refused.
    nc.publish(`${bus.prefix}.ack.host-a`, encodeBusAck({ hostId: 'host-a', vpcId: 'not-a-vpc-of-host-a', revision: 1, streamSequence: 1 }));
    nc.publish(`${bus.prefix}.ack.host-a`, encodeBusAck({ hostId: 'host-a', vpcId: net, revision: 1_000_000, streamSequence: 1 }));
    await nc.flush();
    await waitFor(() => (c.southbound.bus?.counters.malformedAcks ?? 0) >= 1, 10_000, 'the mislabelled ack refused');
    await waitFor(() => (c.southbound.bus?.counters.refusedAcks ?? 0) >= 2, 10_000, 'acks beyond what was sent refused');
    assert.equal(c.southbound.bus?.counters.acks, acksBefore, 'nothing accepted');
    assert.equal(c.southbound.bus?.applied.get('host-b')?.get(net), hostBBefore, 'no forged ack recorded for host-b');
    assert.ok((c.southbound.bus?.applied.get('host-a')?.get(net) ?? 0) < 1_000_000, 'no revision from the future');
    // host-b's certificate is a different user: it may read its own inbox, and never host-a's.
    const ncB = await connect({ servers: nats.url, ...natsTlsOptions(hostB) });
    f.defer(() => void ncB.close());
    assert.match(await new Promise<string>((resolve) => ncB.subscribe('_INBOX_host-a.>', { callback: (err) => (err ? resolve(err.message) : undefined) })), /permissions violation/i);
  }),
);
