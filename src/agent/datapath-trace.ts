/**
 * The agent's answer to a DatapathTraceRequest (`alcor trace --on-host`): the driver traces the packet
 * through the real data path and the reply, with the same request id, goes back on the Watch stream.
 * A driver that cannot trace, or a trace that fails, is answered with the reason (an undecodable
 * request with an empty id, which the controller ignores); answering never throws.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DatapathTraceReplySchema, DatapathTraceRequestSchema, WatchRequestSchema } from '../proto/alcor/v1/southbound_pb.js';
import type { DatapathTrace, Driver } from './driver.js';

const PROTOCOLS = new Set(['icmp', 'tcp', 'udp']);

async function trace(driver: Driver, bytes: Uint8Array): Promise<{ requestId: string } & Partial<DatapathTrace> & { error?: string }> {
  let r;
  try {
    r = fromBinary(DatapathTraceRequestSchema, bytes);
  } catch (err) {
    return { requestId: '', error: `undecodable trace request: ${(err as Error).message}` };
  }
  if (!driver.traceDatapath) return { requestId: r.requestId, error: `the ${driver.name} driver cannot trace its data path` };
  if (!PROTOCOLS.has(r.protocol)) return { requestId: r.requestId, error: `"${r.protocol}" is not icmp, tcp or udp` };
  try {
    return {
      requestId: r.requestId,
      ...(await driver.traceDatapath({
        portId: r.portId,
        sourceMac: r.sourceMac,
        sourceIp: r.sourceIp,
        destinationMac: r.destinationMac,
        destinationIp: r.destinationIp,
        protocol: r.protocol as 'icmp' | 'tcp' | 'udp',
        destinationPort: r.destinationPort,
      })),
    };
  } catch (err) {
    return { requestId: r.requestId, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Traces the encoded request `bytes` with `driver`; resolves to the encoded WatchRequest answering it. */
export async function answerTrace(driver: Driver, bytes: Uint8Array): Promise<Uint8Array> {
  const reply = create(DatapathTraceReplySchema, await trace(driver, bytes));
  return toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'traceReply', value: reply } }));
}
