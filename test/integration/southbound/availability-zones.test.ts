/** Availability zones end to end: agents report theirs over the southbound, the Neutron API shows and uses them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { HelloSchema, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound } from './harness.js';

test('southbound - agents report their availability zone; zones are listed, hinted and derived from bound ports', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const east = await f.agent(s.address, 'compute-1', { datapathIp: '192.0.2.21', availabilityZone: 'az-east' });
    await f.agent(s.address, 'compute-2', { datapathIp: '192.0.2.22' });
    await waitFor(() => s.southbound.server.sessions.size === 2, 10_000, 'agents connected');
    await waitFor(async () => (await s.request('GET', '/v2.0/agents')).body.agents.length === 2, 10_000, 'hosts registered');

    const agents = (await s.request('GET', '/v2.0/agents?fields=host&fields=availability_zone')).body.agents;
    assert.deepEqual(
      agents.sort((a: { host: string }, b: { host: string }) => a.host.localeCompare(b.host)),
      [{ host: 'compute-1', availability_zone: 'az-east' }, { host: 'compute-2', availability_zone: 'nova' }],
    );
    const zones = (await s.request('GET', '/v2.0/availability_zones')).body.availability_zones;
    assert.deepEqual(zones, [
      { name: 'az-east', resource: 'network', state: 'available' },
      { name: 'az-east', resource: 'router', state: 'available' },
      { name: 'nova', resource: 'network', state: 'available' },
      { name: 'nova', resource: 'router', state: 'available' },
    ]);
    assert.deepEqual((await s.request('GET', '/v2.0/availability_zones?resource=router&name=nova')).body.availability_zones, [
      { name: 'nova', resource: 'router', state: 'available' },
    ]);
    assert.equal((await s.request('GET', '/v2.0/availability_zones?colour=red')).status, 400);

    const unknown = await s.request('POST', '/v2.0/networks', { network: { name: 'x', availability_zone_hints: ['az-west'] } });
    assert.deepEqual([unknown.status, unknown.body.NeutronError.type], [404, 'AvailabilityZoneNotFound']);
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n', availability_zone_hints: ['az-east'] } })).body.network;
    assert.deepEqual([net.availability_zone_hints, net.availability_zones], [['az-east'], []]);
    const subnet = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.90.0.0/24', ip_version: 4 } })).body.subnet;
    const port = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'compute-1', device_owner: 'compute:nova', device_id: 'vm-1' } });
    assert.equal(port.status, 201, JSON.stringify(port.body));
    assert.deepEqual((await s.request('GET', `/v2.0/networks/${net.id}`)).body.network.availability_zones, ['az-east']);

    const router = (await s.request('POST', '/v2.0/routers', { router: { name: 'r', availability_zone_hints: ['nova'] } })).body.router;
    assert.deepEqual([router.availability_zone_hints, router.availability_zones], [['nova'], []]);
    await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
    assert.deepEqual((await s.request('GET', `/v2.0/routers/${router.id}`)).body.router.availability_zones, ['az-east']);
    const badRouter = await s.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['az-west'] } });
    assert.deepEqual([badRouter.status, badRouter.body.NeutronError.type], [404, 'AvailabilityZoneNotFound']);

    await east.agent.close();
    await waitFor(
      async () => (await s.request('GET', '/v2.0/availability_zones?name=az-east&resource=network')).body.availability_zones[0]?.state === 'unavailable',
      10_000,
      'az-east unavailable once its only host is gone',
    );
  }),
);

test('southbound - a Hello with an unprintable availability zone is refused and registers nothing', { timeout: 60_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const client = new grpc.Client(s.address, grpc.credentials.createInsecure());
    f.defer(() => client.close());
    const call = client.makeBidiStreamRequest<Uint8Array, Buffer>('/alcor.v1.SouthboundService/Watch', (b) => Buffer.from(b), (b) => b);
    const status = new Promise<number>((resolve) => call.on('error', (e: { code: number }) => resolve(e.code)));
    call.on('data', () => {});
    const hello = create(HelloSchema, { hostId: 'zoned', datapathIp: '192.0.2.30', protocolVersion: 1, availabilityZone: 'bad zone\n' });
    call.write(toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'hello', value: hello } })));
    assert.equal(await status, grpc.status.INVALID_ARGUMENT);
    assert.deepEqual((await s.request('GET', '/v2.0/agents')).body.agents, []);
  }),
);
