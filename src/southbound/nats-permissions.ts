/**
 * The nats-server side of the bus's identities: with `verify_and_map`, nats-server names each TLS client
 * by its certificate (a DNS SAN, else the subject), so the southbound certificates double as NATS users
 * and this renders their subject permissions.
 *
 * - The controller may do anything in the account: it creates and updates the stream, publishes the
 *   VPC deltas and reads every host's acks.
 * - A host may publish only its own ack subject and the JetStream API requests its catch-up consumer
 *   needs on the goal-state stream (no stream creation, no purge, no publishing deltas), and may
 *   subscribe only to the live VPC subjects and to its own inbox (replies to its requests). It cannot
 *   read another host's acks or inbox, nor write anything in another host's name; the controller also
 *   drops any ack whose subject is not the host it names.
 * - VPC subjects are granted as a whole (`<prefix>.live.vpc.>`), not per VPC. Which VPCs a host holds
 *   changes with every port binding, and nats-server permissions are static per user; a per-VPC grant
 *   would lag behind bindings or need a permission push on every bind. The coarser grant is what
 *   OVN's southbound does too: every chassis may read the whole southbound database (its RBAC limits
 *   writes), because the data a VPC delta carries (addresses, MACs, tunnel endpoints of ports) is what
 *   any host of that VPC must know anyway, and the trust boundary is the host, not the VPC. Operators
 *   who need tenant isolation between hosts put such hosts in separate deployments (prefixes/accounts).
 */

/** What the rendered permissions cover. */
export interface NatsPermissionsRequest {
  /** First subject token of the bus. @default "alcor" */
  prefix?: string;
  /** JetStream stream of the goal states. @default "ALCOR_GS" */
  stream?: string;
  /** NATS user of the controller: a DNS name of its certificate. @default "alcor-controller" */
  controller?: string;
  /** Host ids (the CN and DNS name of each host certificate). */
  hosts: readonly string[];
}

/** The publish and subscribe subjects a host may use. */
export function hostPermissions(host: string, prefix = 'alcor', stream = 'ALCOR_GS'): { publish: string[]; subscribe: string[] } {
  const api = '$JS.API';
  return {
    publish: [
      `${prefix}.ack.${host}`,
      `${api}.INFO`,
      `${api}.STREAM.INFO.${stream}`,
      `${api}.STREAM.MSG.GET.${stream}`,
      `${api}.DIRECT.GET.${stream}.>`,
      `${api}.CONSUMER.CREATE.${stream}.>`,
      `${api}.CONSUMER.INFO.${stream}.>`,
      `${api}.CONSUMER.DELETE.${stream}.>`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.>`,
    ],
    subscribe: [`${prefix}.live.vpc.>`, `_INBOX_${host}.>`],
  };
}

/** The `authorization` block of a nats-server configuration for the controller and these hosts. */
export function natsAuthorization(request: NatsPermissionsRequest): string {
  const quote = (s: string) => JSON.stringify(s);
  const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;
  const users = [`    { user: ${quote(request.controller ?? 'alcor-controller')}, permissions: { publish: ">", subscribe: ">" } }`];
  for (const host of request.hosts) {
    const p = hostPermissions(host, request.prefix, request.stream);
    users.push(`    { user: ${quote(host)}, permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } } }`);
  }
  return `authorization {\n  users = [\n${users.join(',\n')}\n  ]\n}\n`;
}
