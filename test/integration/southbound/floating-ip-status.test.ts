/**
 * Floating-IP status through the API with a real controller and sim agents: DOWN until the host of the
 * associated port acks the state carrying it, DOWN again on disassociation, on a move to a host whose
 * agent is away (until it connects) and when that host is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../harness/wait-for.js';
import { currentRevision, withSouthbound } from './harness.js';

test('southbound - a floating IP turns ACTIVE only when the host of its port has programmed it', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const a = await f.agent(s.address, 'fip-a', { datapathIp: '192.0.2.31' });
    const b = await f.agent(s.address, 'fip-b', { datapathIp: '192.0.2.32' });
    await waitFor(() => s.southbound.server.sessions.size === 2, 10_000, 'agents connected');
    const ext = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 } });
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'inner' } })).body.network;
    const subnet = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 } })).body.subnet;
    const router = (await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id } } })).body.router;
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id })).status, 200);
    const port = async (host: string) =>
      (await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': host, device_owner: 'compute:nova', device_id: `vm-${host}` } })).body.port;
    const pa = await port('fip-a');
    const pb = await port('fip-b');
    const status = async (path: string) => (await s.request('GET', path)).body;
    await waitFor(async () => (await status(`/v2.0/ports/${pa.id}`)).port.status === 'ACTIVE', 10_000, 'port on fip-a ACTIVE');
    await waitFor(async () => (await status(`/v2.0/ports/${pb.id}`)).port.status === 'ACTIVE', 10_000, 'port on fip-b ACTIVE');
    await b.agent.close();
    await waitFor(async () => (await status(`/v2.0/ports/${pb.id}`)).port.status === 'DOWN', 10_000, 'fip-b lost');

    const fipStatus = async (id: string) => (await status(`/v2.0/floatingips/${id}`)).floatingip.status as string;
    const carries = (agent: typeof a, portId: string, fipId: string) => agent.agent.desired.view.port.get(portId)?.floatingIps.some((x) => x.id === fipId) === true;
    // The controller compiled everything committed so far (what it will send has been decided).
    const compiled = async () => {
      const revision = await currentRevision(s.store);
      await waitFor(() => s.southbound.manager.revision >= revision, 10_000, 'compiled');
      await s.southbound.manager.portStatus.idle();
    };

    // Associate: DOWN in the answer, ACTIVE once fip-a acked the port state carrying it.
    const created = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: pa.id } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fip = created.body.floatingip;
    assert.equal(fip.status, 'DOWN', 'not programmed yet');
    await waitFor(async () => (await fipStatus(fip.id)) === 'ACTIVE', 10_000, 'ACTIVE after fip-a acked');
    assert.ok(carries(a, pa.id, fip.id), 'fip-a holds the floating IP in the port state');

    // Disassociate: DOWN, and it stays DOWN once fip-a dropped it.
    const freed = await s.request('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(freed.body.floatingip.status, 'DOWN');
    await waitFor(() => !carries(a, pa.id, fip.id), 10_000, 'fip-a dropped it');
    await compiled();
    assert.equal(await fipStatus(fip.id), 'DOWN', 'disassociated');

    // Re-associate to fip-a (ACTIVE), then to the port on fip-b whose agent is away: DOWN until it connects.
    await s.request('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: pa.id } });
    await waitFor(async () => (await fipStatus(fip.id)) === 'ACTIVE', 10_000, 'ACTIVE again on fip-a');
    const moved = await s.request('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: pb.id } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.floatingip.status, 'DOWN');
    await waitFor(() => !carries(a, pa.id, fip.id), 10_000, 'fip-a dropped it');
    await compiled();
    // fip-a acked the move (its port state without the floating IP): that does not make it ACTIVE.
    const revision = s.southbound.manager.revision;
    await waitFor(() => (s.southbound.server.sessions.get('fip-a')?.ackedRevision ?? 0) >= revision, 10_000, 'fip-a acked the move');
    await s.southbound.manager.portStatus.idle();
    assert.equal(await fipStatus(fip.id), 'DOWN', 'fip-b has not programmed it');
    const back = await f.agent(s.address, 'fip-b', { datapathIp: '192.0.2.32', stateDir: f.dir('fip-b-again') });
    await waitFor(async () => (await fipStatus(fip.id)) === 'ACTIVE', 10_000, 'ACTIVE once fip-b connected and acked');
    assert.ok(carries(back, pb.id, fip.id), 'fip-b holds it');

    // Host lost: DOWN.
    await back.agent.close();
    await waitFor(async () => (await fipStatus(fip.id)) === 'DOWN', 10_000, 'DOWN when fip-b is lost');
  }),
);
