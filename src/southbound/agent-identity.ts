/**
 * Who an agent is and what it may say. With mutual TLS the host identity is the client certificate's
 * subject CN or one of its DNS SANs (the TLS handshake already checked the chain, the CA and the
 * validity dates); a Hello for any other host is refused, and so is a datapath address outside the
 * certificate's IP SANs when it lists any. Like OVN's southbound RBAC, a host may speak only for its own
 * records: once the Hello is accepted its session is bound to that host, so it receives only that host's
 * goal state, and acks are applied only to ports bound to it (see grpc-server.ts).
 *
 * Without TLS every agent is trusted for the host id it announces (the embedded loopback set-up).
 * Field sizes and counts of a Hello are capped in both modes: the hosts row and GET /v2.0/agents stay
 * small whatever an agent sends.
 */
import { isIP } from 'node:net';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Hello } from '../proto/alcor/v1/southbound_pb.js';

/** Caps on a Hello's free-form fields. */
export const HELLO_LIMITS = {
  /** Characters of `agent_version`. */
  agentVersionChars: 64,
  /** Entries of `capabilities`. */
  capabilities: 32,
  /** Characters of one capability. */
  capabilityChars: 64,
} as const;

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}$/;
const CAPABILITY = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const VERSION = /^[\x21-\x7e]*$/;

/** The names and addresses a client certificate vouches for. */
export interface CertifiedIdentity {
  /** Subject CN and DNS SANs: the host ids this certificate may speak for. */
  names: string[];
  /** IP SANs: when any, the only datapath addresses the host may register. */
  ips: string[];
}

/** The identity of a TLS peer, or undefined on a plaintext connection. */
export function certifiedIdentity(auth: ReturnType<ServerDuplexStream<unknown, unknown>['getAuthContext']>): CertifiedIdentity | undefined {
  const cert = auth.sslPeerCertificate;
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string' && cn !== '') names.push(cn);
  const ips: string[] = [];
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const [kind, value] = entry.trim().split(/:(.*)/s);
    if (kind === 'DNS' && value) names.push(value);
    if (kind === 'IP Address' && value) ips.push(value);
  }
  return { names, ips };
}

/** Why a Hello is invalid on its own (malformed fields, over the caps), or undefined when it is valid. */
export function helloProblem(hello: Hello): string | undefined {
  if (!HOST_ID.test(hello.hostId)) return 'host_id is empty or has invalid characters';
  if (isIP(hello.datapathIp) === 0) return `datapath_ip "${hello.datapathIp.slice(0, 64)}" is not an IP address`;
  // Zone names follow the host-name rule (Neutron's are free text up to 255; these stay printable).
  if (hello.availabilityZone !== '' && !HOST_ID.test(hello.availabilityZone)) {
    return 'availability_zone has invalid characters or is longer than 255';
  }
  if (hello.agentVersion.length > HELLO_LIMITS.agentVersionChars || !VERSION.test(hello.agentVersion)) {
    return `agent_version is longer than ${HELLO_LIMITS.agentVersionChars} characters or not printable ASCII`;
  }
  if (hello.capabilities.length > HELLO_LIMITS.capabilities) return `more than ${HELLO_LIMITS.capabilities} capabilities`;
  for (const capability of hello.capabilities) {
    if (capability.length > HELLO_LIMITS.capabilityChars || !CAPABILITY.test(capability)) {
      return `capability "${capability.slice(0, HELLO_LIMITS.capabilityChars)}" is longer than ${HELLO_LIMITS.capabilityChars} characters or has invalid characters`;
    }
  }
  return undefined;
}

/** Why the certified peer may not say this Hello, or undefined when it may. */
export function identityProblem(hello: Hello, identity: CertifiedIdentity): string | undefined {
  if (!identity.names.includes(hello.hostId)) {
    return `host_id "${hello.hostId}" does not match the client certificate (${identity.names.join(', ') || 'no CN or DNS name'})`;
  }
  if (identity.ips.length > 0 && !identity.ips.includes(hello.datapathIp)) {
    return `datapath_ip ${hello.datapathIp} is not among the certificate's addresses (${identity.ips.join(', ')})`;
  }
  return undefined;
}
