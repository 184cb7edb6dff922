/** Neutron's side: the export in canonical form per kind, with the raw objects the writers need. */
import { QUOTA_RESOURCES, type QuotaLimits } from '../domain/quota.js';
import type { StateView } from './alcor-view.js';
import {
  canonicalFloatingIp,
  canonicalNetwork,
  canonicalPort,
  canonicalQuota,
  canonicalRbac,
  canonicalRouter,
  canonicalRule,
  canonicalSecurityGroup,
  canonicalSubnet,
  KINDS,
  type Canonical,
  type Kind,
} from './canonical.js';
import type { NeutronExport } from './neutron-types.js';

/** Neutron's state: canonical records and raw objects per kind, keyed by id. */
export interface NeutronView {
  canonical: StateView;
  raw: Record<Kind, Map<string, unknown>>;
  /** Gateway port id per router id, floating port id per floating IP id (from the ports' device ids). */
  gatewayPorts: Map<string, string>;
  floatingPorts: Map<string, string>;
  /** Things the operator should know that are not conflicts. */
  warnings: string[];
}

/** The limits of a project that differ from Neutron's defaults: what a Neutron admin set. */
export function quotaOverrides(limits: Record<string, number>, defaults: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const resource of QUOTA_RESOURCES) {
    const value = limits[resource];
    if (value !== undefined && value !== defaults?.[resource]) out[resource] = value;
  }
  return out;
}

function add(view: NeutronView, kind: Kind, raw: Record<string, unknown>, canonical: Canonical): void {
  view.raw[kind].set(String(canonical.id), raw);
  view.canonical[kind].set(String(canonical.id), canonical);
}

/** Builds the view; `alcorDefaults` are the quota defaults Alcor is configured with (for a warning). */
export function neutronView(exp: NeutronExport, alcorDefaults?: QuotaLimits): NeutronView {
  const empty = () => Object.fromEntries(KINDS.map((k) => [k, new Map()])) as never;
  const view: NeutronView = { canonical: empty(), raw: empty(), gatewayPorts: new Map(), floatingPorts: new Map(), warnings: [] };
  const o = (x: unknown) => x as Record<string, unknown>;
  for (const n of exp.networks) add(view, 'network', o(n), canonicalNetwork(o(n)));
  for (const s of exp.subnets) add(view, 'subnet', o(s), canonicalSubnet(o(s)));
  for (const p of exp.ports) {
    add(view, 'port', o(p), canonicalPort(o(p)));
    if (p.device_owner === 'network:router_gateway') view.gatewayPorts.set(p.device_id, p.id);
    if (p.device_owner === 'network:floatingip') view.floatingPorts.set(p.device_id, p.id);
  }
  for (const g of exp.securityGroups) add(view, 'security_group', o(g), canonicalSecurityGroup(o(g)));
  for (const r of exp.securityGroupRules) add(view, 'security_group_rule', o(r), canonicalRule(o(r)));
  for (const r of exp.routers) add(view, 'router', o(r), canonicalRouter(o(r)));
  for (const f of exp.floatingIps) add(view, 'floatingip', o(f), canonicalFloatingIp(o(f)));
  for (const p of exp.rbacPolicies) add(view, 'rbac_policy', o(p), canonicalRbac(o(p)));
  for (const q of exp.quotas) {
    const overrides = quotaOverrides(q.limits, exp.quotaDefaults);
    if (Object.keys(overrides).length > 0) add(view, 'quota', { project_id: q.project_id, overrides }, canonicalQuota(q.project_id, overrides));
  }
  if (exp.quotaDefaults && alcorDefaults) {
    const differing = QUOTA_RESOURCES.filter((r) => exp.quotaDefaults?.[r] !== undefined && exp.quotaDefaults[r] !== alcorDefaults[r]);
    if (differing.length > 0) {
      const setting = differing.map((r) => `${r}=${String(exp.quotaDefaults?.[r])}`).join(',');
      view.warnings.push(`Neutron's default quotas differ from Alcor's for ${differing.join(', ')}: start alcor-server with ALCOR_QUOTA_DEFAULTS=${setting} to keep them`);
    }
  }
  return view;
}
