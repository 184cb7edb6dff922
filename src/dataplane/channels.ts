/**
 * Per-VPC southbound channel: whether a VPC scope's deltas travel on every member host's Watch stream
 * (`grpc`, unicast per host) or once on the bus subject `alcor.gs.vpc.<id>` (`mq`). Without a bus the
 * channel is always `grpc`. In `auto` mode a VPC moves to `mq` above `upperPorts` bound ports and back to
 * `grpc` below `lowerPorts`; in between it keeps its channel (hysteresis), so a VPC hovering around one
 * threshold does not flap.
 */

/** The Hello capability of an agent that consumes VPC subjects from the bus. */
export const MQ_CAPABILITY = 'mq';

/** Effective channel of a VPC. */
export type Channel = 'grpc' | 'mq';

/** Channel mode: fixed, or chosen by VPC size. */
export type ChannelMode = Channel | 'auto';

/** The channel policy of a controller. */
export interface ChannelPolicy {
  /** True when a bus (NATS JetStream) is configured; otherwise every VPC is `grpc`. */
  bus: boolean;
  /** Mode of VPCs without a per-network override. @default "auto" (env ALCOR_SOUTHBOUND_CHANNEL) */
  mode: ChannelMode;
  /** `auto`: above this many bound ports a VPC moves to mq. @default 1000 (env ALCOR_MQ_UPPER_PORTS) */
  upperPorts: number;
  /** `auto`: below this many bound ports a VPC moves back to grpc. @default 100 (env ALCOR_MQ_LOWER_PORTS) */
  lowerPorts: number;
}

/** The policy of a controller without a bus. */
export const GRPC_ONLY: ChannelPolicy = { bus: false, mode: 'auto', upperPorts: 1000, lowerPorts: 100 };

/** Values of the per-network override attribute (`alcor:southbound_channel`). */
export const CHANNEL_MODES: readonly ChannelMode[] = ['grpc', 'mq', 'auto'];

/** The channel of a VPC with `ports` bound ports, given its current channel (undefined at start-up). */
export function chooseChannel(policy: ChannelPolicy, override: ChannelMode | undefined, ports: number, current: Channel | undefined): Channel {
  if (!policy.bus) return 'grpc';
  const mode = override ?? policy.mode;
  if (mode !== 'auto') return mode;
  if (ports > policy.upperPorts) return 'mq';
  if (ports < policy.lowerPorts) return 'grpc';
  // Inside the band: keep the current channel; at start-up there is no history, so the lower side wins.
  return current ?? 'grpc';
}
