/** Neutron's side: the export in canonical form per kind, with the raw objects the writers need. */
import { QUOTA_RESOURCES, type QuotaLimits } from '../domain/quota.js';
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

/** Neutron's state: raw objects per kind keyed by id, and their canonical form (computed on first use). */
export interface NeutronView {
  raw: Record<Kind, Map<string, unknown>>;
  /** The canonical record of a resource; a first import of new resources never needs one. */
  canonical(kind: Kind, id: string): Canonical;
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

const CANONICAL: Record<Kind, (raw: Record<string, unknown>) => Canonical> = {
  network: canonicalNetwork,
  subnet: canonicalSubnet,
  port: canonicalPort,
  security_group: canonicalSecurityGroup,
  security_group_rule: canonicalRule,
  router: canonicalRouter,
  floatingip: canonicalFloatingIp,
  rbac_policy: canonicalRbac,
  quota: (q) => canonicalQuota(String(q.project_id), q.overrides as Record<string, number>),
};

function add(view: NeutronView, kind: Kind, raw: Record<string, unknown>, id: string): void {
  view.raw[kind].set(id, raw);
}

/** Builds the view; `alcorDefaults` are the quota defaults Alcor is configured with (for a warning). */
export function neutronView(exp: NeutronExport, alcorDefaults?: QuotaLimits): NeutronView {
  const empty = () => Object.fromEntries(KINDS.map((k) => [k, new Map()])) as never;
  const memo = new Map<string, Canonical>();
  const view: NeutronView = {
    raw: empty(),
    canonical: (kind, id) => {
      const key = `${kind}/${id}`;
      let record = memo.get(key);
      if (record === undefined) {
        record = CANONICAL[kind](view.raw[kind].get(id) as Record<string, unknown>);
        memo.set(key, record);
      }
      return record;
    },
    gatewayPorts: new Map(),
    floatingPorts: new Map(),
    warnings: [],
  };
  const o = (x: unknown) => x as Record<string, unknown>;
  for (const n of exp.networks) add(view, 'network', o(n), n.id);
  for (const s of exp.subnets) add(view, 'subnet', o(s), s.id);
  for (const p of exp.ports) {
    add(view, 'port', o(p), p.id);
    if (p.device_owner === 'network:router_gateway') view.gatewayPorts.set(p.device_id, p.id);
    if (p.device_owner === 'network:floatingip') view.floatingPorts.set(p.device_id, p.id);
  }
  for (const g of exp.securityGroups) add(view, 'security_group', o(g), g.id);
  for (const r of exp.securityGroupRules) add(view, 'security_group_rule', o(r), r.id);
  for (const r of exp.routers) add(view, 'router', o(r), r.id);
  for (const f of exp.floatingIps) add(view, 'floatingip', o(f), f.id);
  for (const p of exp.rbacPolicies) add(view, 'rbac_policy', o(p), p.id);
  for (const q of exp.quotas) {
    const overrides = quotaOverrides(q.limits, exp.quotaDefaults);
    if (Object.keys(overrides).length > 0) add(view, 'quota', { project_id: q.project_id, overrides }, q.project_id);
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
