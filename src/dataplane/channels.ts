/**
 * Per-VPC southbound channel: whether a VPC scope's deltas travel on every member host's Watch stream
 * (`grpc`, unicast per host) or once on the bus subject `alcor.gs.vpc.<id>` (`mq`). Without a bus the
 * channel is always `grpc`. In `auto` mode a VPC moves to `mq` above `upperPorts` bound ports and back to
 * `grpc` below `lowerPorts`; in between it keeps its channel (hysteresis), so a VPC hovering around one
 * threshold does not flap.
 */
import type { Queryable } from '../store/store.js';
import { allIn } from './compile-helpers.js';

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

/** The per-network channel override (`alcor:southbound_channel`) of each given network that has one. */
async function channelOverrides(q: Queryable, networkIds: readonly string[]): Promise<Map<string, ChannelMode>> {
  const rows = await allIn<{ id: string; southbound_channel: string }>(
    q,
    (m) => `SELECT id, southbound_channel FROM networks WHERE southbound_channel <> '' AND id IN (${m})`,
    networkIds,
  );
  return new Map(rows.map((r) => [r.id, r.southbound_channel as ChannelMode]));
}

/**
 * The data-plane manager's record of each VPC's effective channel, of the revision at which it last
 * switched (an mq host cannot resume across a switch) and of its size: its ports bound to registered
 * hosts, which are exactly its neighbor records, so the size is counted from what the manager compiles
 * instead of by a query over the VPC's ports on every change. A step plans channels and sizes while it
 * compiles (reads only) and commits them when it publishes.
 */
export class VpcChannels {
  private readonly current = new Map<string, Channel>();
  private readonly switchedAt = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly policy: ChannelPolicy) {}

  /** The effective channel of a VPC; one without bound ports has the policy's default. */
  of(vpc: string): Channel {
    return this.current.get(vpc) ?? chooseChannel(this.policy, undefined, 0, undefined);
  }

  /** VPC sizes that change in a step whose neighbor records move `[from, to]` (undefined: no record). */
  sizesAfter(moves: Iterable<readonly [from: string | undefined, to: string | undefined]>): Map<string, number> {
    const sizes = new Map<string, number>();
    const size = (vpc: string) => sizes.get(vpc) ?? this.sizes.get(vpc) ?? 0;
    for (const [from, to] of moves) {
      if (from === to) continue;
      if (from !== undefined) sizes.set(from, size(from) - 1);
      if (to !== undefined) sizes.set(to, size(to) + 1);
    }
    return sizes;
  }

  /** The channels `vpcs` will have after a step with these changed sizes, given their overrides. Changes nothing. */
  async plan(q: Queryable, vpcs: readonly string[], sizes: ReadonlyMap<string, number>): Promise<Map<string, Channel>> {
    const out = new Map<string, Channel>();
    if (!this.policy.bus || vpcs.length === 0) return out;
    const overrides = await channelOverrides(q, vpcs);
    for (const vpc of vpcs) {
      const size = sizes.get(vpc) ?? this.sizes.get(vpc) ?? 0;
      out.set(vpc, chooseChannel(this.policy, overrides.get(vpc), size, this.current.get(vpc)));
    }
    return out;
  }

  /** Whether `planned` moves a VPC to another channel. */
  moves(vpc: string, planned: Channel): boolean {
    return planned !== this.current.get(vpc);
  }

  /**
   * Adopts planned channels and sizes as of `revision` and returns the VPCs that moved from mq back to
   * grpc. A VPC seen for the first time (and every VPC at start-up, without `revision`) does not count
   * as a switch.
   */
  commit(planned: ReadonlyMap<string, Channel>, sizes: ReadonlyMap<string, number>, revision?: number): string[] {
    for (const [vpc, size] of sizes) {
      if (size > 0) this.sizes.set(vpc, size);
      else this.sizes.delete(vpc);
    }
    const toGrpc: string[] = [];
    for (const [vpc, channel] of planned) {
      const before = this.current.get(vpc);
      if (channel === before) continue;
      this.current.set(vpc, channel);
      if (before === undefined || revision === undefined) continue;
      this.switchedAt.set(vpc, revision);
      if (channel === 'grpc') toGrpc.push(vpc);
    }
    return toGrpc;
  }

  /** Whether the VPC switched channel after `revision`. */
  switchedAfter(vpc: string, revision: number): boolean {
    return (this.switchedAt.get(vpc) ?? 0) > revision;
  }
}
