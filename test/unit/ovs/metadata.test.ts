import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { metadataOfport, metadataPortIp, metadataProxyIp } from '../../../src/agent/drivers/ovs/compile-metadata.js';
import { isolatedMetadataRoutes } from '../../../src/agent/drivers/ovs/dhcp-responder.js';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import { forwardedHeaders, signInstanceId } from '../../../src/agent/drivers/ovs/metadata-proxy.js';
import { compileOvsDriverOptions } from '../../../src/agent/drivers/ovs/options.js';
import { MetadataStandIn, novaSignatureValid } from '../../../src/testbed/metadata.js';
import { richInputs, sampleInputs, sampleView } from './fixtures.js';

test('ovs metadata - port addresses are unique per OpenFlow port and map back; the proxy takes the first address', () => {
  assert.equal(metadataProxyIp('169.254.0.0/16'), '169.254.0.1');
  assert.equal(metadataPortIp('169.254.0.0/16', 1), '169.254.0.3');
  assert.equal(metadataPortIp('169.254.0.0/16', 300), '169.254.1.46');
  assert.equal(metadataOfport('169.254.0.0/16', '169.254.1.46'), 300);
  assert.equal(metadataOfport('169.254.16.0/20', metadataPortIp('169.254.16.0/20', 4092)!), 4092);
  assert.equal(metadataPortIp('169.254.16.0/20', 4093), undefined, 'the broadcast address is nobody');
  for (const ip of ['169.254.0.1', '169.254.0.2', '169.254.255.255', '10.0.0.3', 'x']) assert.equal(metadataOfport('169.254.0.0/16', ip), undefined, ip);
});

test('ovs metadata - a VM port gets the rewrite to the proxy and the way back; no metadata facts, no flows', () => {
  const engine = new FlowEngine();
  const texts = [...engine.recompute(richInputs()).flatMap((m) => (m.op === 'add' ? [m.text] : []))];
  const out = texts.find((t) => t.startsWith('table=37,priority=100,reg5=1,tcp,nw_src=10.0.1.10,nw_dst=169.254.169.254,tp_dst=80 '));
  assert.ok(out, texts.filter((t) => t.includes('table=37')).join('\n'));
  assert.match(out, /set_field:169\.254\.0\.3->ip_src,set_field:169\.254\.0\.1->ip_dst,output:20$/);
  const back = texts.find((t) => t.startsWith('table=0,priority=110,in_port=20,tcp,nw_src=169.254.0.1,nw_dst=169.254.0.3,tp_src=80 '));
  assert.ok(back);
  assert.match(back, /set_field:169\.254\.169\.254->ip_src,set_field:10\.0\.1\.10->ip_dst,load:100->NXM_NX_REG6\[\],load:1->NXM_NX_REG7\[\],goto_table:60$/);
  assert.ok(texts.some((t) => t.startsWith('table=0,priority=110,in_port=20,arp,arp_op=1,arp_tpa=169.254.0.3 ')));
  const plain = [...new FlowEngine().recompute(sampleInputs()).flatMap((m) => (m.op === 'add' ? [m.text] : []))];
  assert.ok(!plain.some((t) => t.includes('169.254')), 'without a metadata service nothing goes to the proxy');
  assert.ok(plain.includes('table=35,priority=0 actions=goto_table:37') && plain.includes('table=37,priority=0 actions=goto_table:40'));
});

test('ovs metadata - the proxy sends Nova the signed identity of the port and drops what the VM claims', () => {
  const requester = { instanceId: 'instance-a', projectId: 'project-a', ip: '10.0.1.10' };
  const headers = forwardedHeaders(
    { 'x-instance-id': 'instance-b', 'X-Tenant-ID': 'project-b', 'x-forwarded-for': '10.0.1.20', 'x-instance-id-signature': 'f00', 'x-metadata-provider': 'p', host: '169.254.169.254', accept: 'text/plain', connection: 'close' },
    requester,
    'secret',
    'nova:8775',
  );
  const signature = createHmac('sha256', 'secret').update('instance-a').digest('hex');
  assert.deepEqual(headers, { accept: 'text/plain', host: 'nova:8775', 'x-instance-id': 'instance-a', 'x-tenant-id': 'project-a', 'x-forwarded-for': '10.0.1.10', 'x-instance-id-signature': signature });
  assert.equal(signInstanceId('instance-a', 'secret'), signature);
  assert.ok(novaSignatureValid('instance-a', signature, 'secret'));
  for (const bad of ['', signature.slice(1), signature.toUpperCase(), signInstanceId('instance-b', 'secret'), signInstanceId('instance-a', 'other')]) {
    assert.equal(novaSignatureValid('instance-a', bad, 'secret'), false, bad);
  }
});

test('ovs metadata - the stand-in answers like Nova: 400 without headers, 403 on a bad signature, 404 for another project', async () => {
  const nova = await new MetadataStandIn('s3cret').listen();
  nova.instances.set('i-1', 'p-1');
  try {
    const get = async (headers: Record<string, string>, path = '/openstack/latest/instance-id') => {
      const res = await fetch(`${nova.url}${path}`, { headers });
      return [res.status, await res.text()];
    };
    const sig = signInstanceId('i-1', 's3cret');
    assert.deepEqual(await get({ 'x-instance-id': 'i-1', 'x-tenant-id': 'p-1', 'x-instance-id-signature': sig }), [200, 'i-1']);
    assert.deepEqual(await get({ 'x-tenant-id': 'p-1', 'x-instance-id-signature': sig }), [400, 'X-Instance-ID header is missing from request.']);
    assert.deepEqual(await get({ 'x-instance-id': 'i-1', 'x-tenant-id': 'p-1' }), [400, 'X-Instance-ID-Signature header is missing from request.']);
    assert.deepEqual(await get({ 'x-instance-id': 'i-1', 'x-tenant-id': 'p-1', 'x-instance-id-signature': '' }), [403, 'Invalid proxy request signature.']);
    assert.deepEqual(await get({ 'x-instance-id': 'i-1', 'x-tenant-id': 'p-1', 'x-instance-id-signature': signInstanceId('i-1', 'guess') }), [403, 'Invalid proxy request signature.']);
    assert.equal((await get({ 'x-instance-id': 'i-1', 'x-tenant-id': 'p-2', 'x-instance-id-signature': sig }))[0], 404);
    assert.equal((await get({ 'x-instance-id': 'i-2', 'x-tenant-id': 'p-1', 'x-instance-id-signature': signInstanceId('i-2', 's3cret') }))[0], 404);
  } finally {
    await nova.close();
  }
});

test('ovs metadata - DHCP gives a subnet without a router the metadata route via the DHCP server address', () => {
  const view = sampleView();
  const state = view.dhcp.get('p1')!;
  assert.deepEqual(isolatedMetadataRoutes(state, view), [], 'sub-a has router r1');
  view.router.clear();
  assert.deepEqual(isolatedMetadataRoutes(state, view), [{ destination: '169.254.169.254/32', nexthop: '10.0.1.1' }]);
  assert.deepEqual(isolatedMetadataRoutes({ ...state, gatewayIp: '' }, view), [], 'no gateway, no route');
  assert.deepEqual(isolatedMetadataRoutes({ ...state, hostRoutes: [{ $typeName: 'alcor.v1.Route', destination: '169.254.169.254/32', nexthop: '10.0.1.5' }] }, view), []);
});

test('ovs metadata - driver options: the range must leave room for the proxy and ports', () => {
  assert.equal(compileOvsDriverOptions({}).metadataCidr, '169.254.0.0/17');
  assert.equal(compileOvsDriverOptions({ 'metadata-port': 'md0' }).metadataInterface, 'md0');
  for (const bad of ['169.254.0.0/30', '169.254.0.0', '300.1.1.1/16', 'fe80::/64']) {
    assert.throws(() => compileOvsDriverOptions({ 'metadata-cidr': bad }), /metadata-cidr/);
  }
});
