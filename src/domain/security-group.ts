/**
 * Security groups and rules as the API shows them, and Neutron's rule validation and normalisation
 * (protocol names/numbers, port ranges, ICMP type/code, remote prefix vs ethertype). Pure.
 */
import {
  InvalidInput,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRemoteGroupAndRemoteIpPrefix,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
} from './errors.js';
import { formatCidr, parseCidr } from './ip.js';

/** A security group rule. Field names are the wire names. */
export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: null;
  normalized_cidr: string | null;
  description: string;
  project_id: string;
  tenant_id: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** A security group with its rules. */
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  stateful: boolean;
  shared: boolean;
  security_group_rules: SecurityGroupRule[];
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /security-groups. */
export interface SecurityGroupCreate {
  name?: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  stateful?: boolean;
  tags?: string[];
}

/** Body of PUT /security-groups/{id}. */
export type SecurityGroupUpdate = Pick<SecurityGroupCreate, 'name' | 'description' | 'stateful'>;

/** Body of POST /security-group-rules. */
export interface SecurityGroupRuleCreate {
  security_group_id: string;
  direction: string;
  ethertype?: string;
  protocol?: string | number | null;
  port_range_min?: number | string | null;
  port_range_max?: number | string | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  description?: string;
  project_id?: string;
  tenant_id?: string;
}

/** A validated, normalised rule (what is stored). */
export interface NormalizedRule {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

/** IANA protocol numbers of the names Neutron accepts (neutron-lib IP_PROTOCOL_MAP). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ipip: 4, 'ipv6-encap': 41,
  'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43,
  ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

/** IPv6 extension headers and ICMPv6: meaningless with IPv4. */
const IPV6_ONLY_PROTOCOLS = new Set([41, 43, 44, 58, 59, 60]);

/** With IPv6, the legacy names `icmp`/`icmpv6` (and number 1) mean ICMPv6, as Neutron converts them. */
function canonicalIcmp(protocol: string | null, ethertype: 'IPv4' | 'IPv6'): string | null {
  if (ethertype !== 'IPv6') return protocol;
  if (protocol === 'icmp' || protocol === 'icmpv6') return 'ipv6-icmp';
  return protocol === '1' ? '58' : protocol;
}

/** Protocols whose rules may name port ranges. */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

/** Protocol number of a stored protocol value (name or number text); undefined for "any". */
export function protocolNumber(protocol: string | null): number | undefined {
  if (protocol === null) return undefined;
  return PROTOCOL_NUMBERS[protocol] ?? Number(protocol);
}

function normalizeProtocol(value: string | number | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim().toLowerCase();
  if (text === '' || text === 'any') return null;
  if (text in PROTOCOL_NUMBERS) return text;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return String(Number(text));
  throw new SecurityGroupRuleInvalidProtocol(
    `Security group rule protocol ${String(value)} not supported. Allowed: ${Object.keys(PROTOCOL_NUMBERS).join(', ')} or integers 0-255.`,
  );
}

function portValue(value: number | string | null | undefined): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new SecurityGroupInvalidPortValue(`Invalid value for port ${String(value)}`);
  return n;
}

function normalizeEthertype(value: string | undefined): 'IPv4' | 'IPv6' {
  const v = (value ?? 'IPv4').toLowerCase();
  if (v === 'ipv4') return 'IPv4';
  if (v === 'ipv6') return 'IPv6';
  throw new SecurityGroupRuleInvalidEtherType(`Security group rule for ethertype '${value}' not supported. Allowed values are IPv4, IPv6.`);
}

function checkPorts(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  const number = protocolNumber(protocol);
  if (number === undefined) throw new SecurityGroupProtocolRequiredWithPorts('Must also specify protocol if port range is given.');
  if (PORT_PROTOCOLS.has(number)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('Invalid value for port 0: TCP/UDP ports are 1-65535');
    if (min === null || max === null || min > max) {
      throw new SecurityGroupInvalidPortRange('For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
  } else if (ICMP_PROTOCOLS.has(number)) {
    for (const [value, field] of [[min, 'type'], [max, 'code']] as const) {
      if (value !== null && value > 255) throw new SecurityGroupInvalidIcmpValue(`Invalid value for ICMP ${field} (port_range_${field === 'type' ? 'min' : 'max'}) ${value}. It must be 0 to 255.`);
    }
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(`ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
  } else {
    throw new SecurityGroupInvalidProtocolForPort(`Invalid protocol ${protocol} for port range; only TCP, UDP, SCTP, DCCP, UDP-Lite and ICMP rules take ports`);
  }
}

/** Validates a rule body as Neutron does and returns its stored form. */
export function normalizeRule(body: SecurityGroupRuleCreate): NormalizedRule {
  if (body.direction !== 'ingress' && body.direction !== 'egress') {
    throw new InvalidInput(`Invalid input for direction. Reason: '${body.direction}' is not in ['ingress', 'egress'].`);
  }
  const ethertype = normalizeEthertype(body.ethertype);
  const protocol = canonicalIcmp(normalizeProtocol(body.protocol), ethertype);
  const number = protocolNumber(protocol);
  if (number !== undefined && IPV6_ONLY_PROTOCOLS.has(number) && ethertype === 'IPv4') {
    throw new SecurityGroupEthertypeConflictWithProtocol(`Invalid ethertype IPv4 for protocol ${protocol}.`);
  }
  const min = portValue(body.port_range_min);
  const max = portValue(body.port_range_max);
  checkPorts(protocol, min, max);
  const remoteGroup = body.remote_group_id ?? null;
  let prefix: string | null = null;
  if (body.remote_ip_prefix !== undefined && body.remote_ip_prefix !== null) {
    const cidr = parseCidr(body.remote_ip_prefix.trim(), false);
    if (typeof cidr === 'string') throw new InvalidInput(`Invalid input for remote_ip_prefix. Reason: '${body.remote_ip_prefix}' is not a valid IP prefix.`);
    if ((cidr.version === 4) !== (ethertype === 'IPv4')) {
      throw new SecurityGroupRuleParameterConflict(`Conflicting value ethertype ${ethertype} for CIDR ${body.remote_ip_prefix}`);
    }
    prefix = formatCidr(cidr);
  }
  if (prefix !== null && remoteGroup !== null) {
    throw new SecurityGroupRemoteGroupAndRemoteIpPrefix('Only remote_ip_prefix or remote_group_id may be provided.');
  }
  return { direction: body.direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: prefix, remote_group_id: remoteGroup };
}

/** The comparison key of a rule: equal keys are duplicates (protocol by number, any-prefix same as none). */
export function ruleKey(rule: NormalizedRule): string {
  const anyPrefix = rule.remote_ip_prefix === '0.0.0.0/0' || rule.remote_ip_prefix === '::/0';
  return JSON.stringify([
    rule.direction,
    rule.ethertype,
    protocolNumber(rule.protocol) ?? null,
    rule.port_range_min,
    rule.port_range_max,
    anyPrefix ? null : rule.remote_ip_prefix,
    rule.remote_group_id,
  ]);
}
