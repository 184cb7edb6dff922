import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { answerTrace } from '../../../src/agent/datapath-trace.js';
import { SimDriver } from '../../../src/agent/drivers/sim.js';
import type { DatapathTracePacket, Driver } from '../../../src/agent/driver.js';
import { DatapathTraceRequestSchema, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';

const request = (fields: Partial<Record<string, unknown>> = {}) =>
  toBinary(DatapathTraceRequestSchema, create(DatapathTraceRequestSchema, { requestId: 'r1', portId: 'p1', sourceMac: 'fa:16:3e:00:00:01', sourceIp: '10.0.0.2', destinationMac: 'fa:16:3e:00:00:02', destinationIp: '10.0.0.3', protocol: 'icmp', ...fields }));

const reply = async (driver: Driver, bytes: Uint8Array) => {
  const r = fromBinary(WatchRequestSchema, await answerTrace(driver, bytes));
  assert.equal(r.kind.case, 'traceReply');
  return r.kind.value as { requestId: string; flow: string; output: string; error: string };
};

test('agent datapath trace - answers with the request id: the driver trace, its failure, or why it cannot run', async () => {
  const sim = new SimDriver({ hostId: 'h', datapathIp: '192.0.2.1', stateDir: '/nonexistent', options: {}, log: () => {} });
  const simReply = await reply(sim, request());
  assert.equal(simReply.requestId, 'r1');
  assert.match(simReply.error, /^the sim driver has no datapath/);

  let seen: DatapathTracePacket | undefined;
  const tracing = Object.assign(Object.create(sim) as Driver, {
    traceDatapath: async (packet: DatapathTracePacket) => {
      seen = packet;
      return { flow: 'in_port=1,icmp', output: 'Datapath actions: drop\n' };
    },
  });
  const ok = await reply(tracing, request({ protocol: 'tcp', destinationPort: 22 }));
  assert.deepEqual({ id: ok.requestId, flow: ok.flow, output: ok.output, error: ok.error }, { id: 'r1', flow: 'in_port=1,icmp', output: 'Datapath actions: drop\n', error: '' });
  assert.equal(seen?.destinationPort, 22);
  assert.equal(seen?.protocol, 'tcp');

  assert.match((await reply(tracing, request({ protocol: 'gre' }))).error, /"gre" is not icmp, tcp or udp/);
  const none = Object.assign(Object.create(sim) as Driver, { traceDatapath: undefined });
  assert.equal((await reply(none, request())).error, 'the sim driver cannot trace its data path');
  const garbage = await reply(sim, new Uint8Array([0x0a, 0xff]));
  assert.equal(garbage.requestId, '');
  assert.match(garbage.error, /^undecodable trace request/);
});
