/** Channel selection: fixed modes, the size thresholds and their hysteresis, and no bus = gRPC. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseChannel, GRPC_ONLY, type ChannelPolicy } from '../../../src/dataplane/channels.js';

const auto: ChannelPolicy = { bus: true, mode: 'auto', upperPorts: 1000, lowerPorts: 100 };

test('channels - without a bus every VPC is grpc, whatever the override or size', () => {
  assert.equal(chooseChannel(GRPC_ONLY, 'mq', 5000, 'mq'), 'grpc');
  assert.equal(chooseChannel({ ...GRPC_ONLY, mode: 'mq' }, undefined, 5000, undefined), 'grpc');
});

test('channels - auto moves up above the upper threshold and down below the lower one, keeping its channel in between', () => {
  const walk = [50, 500, 1000, 1001, 500, 100, 99, 500, 1001];
  const seen: string[] = [];
  let current: 'grpc' | 'mq' | undefined;
  for (const ports of walk) seen.push((current = chooseChannel(auto, undefined, ports, current)));
  assert.deepEqual(seen, ['grpc', 'grpc', 'grpc', 'mq', 'mq', 'mq', 'grpc', 'grpc', 'mq']);
});

test('channels - a per-network override beats the default mode; auto as override uses the thresholds', () => {
  assert.equal(chooseChannel(auto, 'mq', 1, 'grpc'), 'mq');
  assert.equal(chooseChannel({ ...auto, mode: 'mq' }, 'grpc', 5000, 'mq'), 'grpc');
  assert.equal(chooseChannel({ ...auto, mode: 'grpc' }, 'auto', 5000, 'grpc'), 'mq');
  assert.equal(chooseChannel({ ...auto, mode: 'mq' }, undefined, 1, undefined), 'mq');
});
