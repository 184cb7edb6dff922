/**
 * Feeds the logical trace from the data-plane manager: decodes a host's goal state (its host scope and
 * the VPC scopes it holds) from the very entries its agent is sent, at the manager's current revision.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { InvalidInput } from '../domain/errors.js';
import type { TraceRequest, TraceResult } from '../domain/operator.js';
import { ResourceStateSchema, type NeighborState, type PortState, type RouterState, type SecurityGroupState, type SubnetState, type VpcState } from '../proto/alcor/v1/goal_state_pb.js';
import type { DataPlaneManager } from './manager.js';
import { hostScope, vpcScope } from './scope-table.js';
import { packetAddresses, traceLogical, TraceInputError, type HostGoalState, type TracePacketAddresses } from './trace.js';

/** The decoded goal state of `host`, or undefined when the manager holds none for it. */
export function hostGoalState(manager: DataPlaneManager, host: string): HostGoalState | undefined {
  const own = manager.scopes.get(hostScope(host));
  if (!own) return undefined;
  const state = {
    host,
    vpcs: new Map<string, VpcState>(),
    subnets: new Map<string, SubnetState>(),
    ports: new Map<string, PortState>(),
    securityGroups: new Map<string, SecurityGroupState>(),
    routers: new Map<string, RouterState>(),
    neighbors: new Map<string, NeighborState>(),
  };
  const scopes = [own, ...[...(manager.hostVpcs.get(host) ?? [])].map((vpc) => manager.scopes.get(vpcScope(vpc)))];
  for (const scope of scopes) {
    for (const entry of scope?.entries.values() ?? []) {
      const s = fromBinary(ResourceStateSchema, entry.bytes).state;
      if (s.case === 'vpc') state.vpcs.set(s.value.id, s.value);
      else if (s.case === 'subnet') state.subnets.set(s.value.id, s.value);
      else if (s.case === 'port') state.ports.set(s.value.id, s.value);
      else if (s.case === 'securityGroup') state.securityGroups.set(s.value.id, s.value);
      else if (s.case === 'router') state.routers.set(s.value.id, s.value);
      else if (s.case === 'neighbor') state.neighbors.set(s.value.id, s.value);
    }
  }
  return state;
}

/** Traces `request` from its port on `host` over the manager's compiled goal states. */
export function traceHostGoalStates(manager: DataPlaneManager, host: string, request: TraceRequest): TraceResult {
  const source = sourceState(manager, host, request);
  return asInvalidInput(() => traceLogical(source, (other) => (other === host ? source : hostGoalState(manager, other)), request));
}

/** The addresses of `request`'s packet leaving its port on `host`, for the host's datapath trace. */
export function hostPacketAddresses(manager: DataPlaneManager, host: string, request: TraceRequest): TracePacketAddresses {
  const source = sourceState(manager, host, request);
  return asInvalidInput(() => packetAddresses(source, request));
}

function sourceState(manager: DataPlaneManager, host: string, request: TraceRequest): HostGoalState {
  const source = hostGoalState(manager, host);
  if (!source) throw new InvalidInput(`Host ${host} of port ${request.from_port} has no compiled goal state on this controller (no agent has registered it).`);
  return source;
}

function asInvalidInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TraceInputError) throw new InvalidInput(err.message, { cause: err });
    throw err;
  }
}
