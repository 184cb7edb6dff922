/** The collections that take tags, each with the listing spec that decides who may see a resource. */
import { ADDRESS_SCOPE_TABLE } from './address-scopes.js';
import { FLOATING_IP_TABLE } from './floating-ips.js';
import { NETWORK_TABLE } from './networks.js';
import { PORT_TABLE } from './ports.js';
import { ROUTER_TABLE } from './router-rows.js';
import { SECURITY_GROUP_TABLE } from './security-group-rows.js';
import { SUBNET_POOL_TABLE } from './subnet-pools.js';
import { SUBNET_TABLE } from './subnets.js';
import type { TagTarget } from './tags.js';

/** Taggable collections of this build. */
export const CORE_TAG_TARGETS: TagTarget[] = [
  { collection: 'networks', resource: 'network', spec: NETWORK_TABLE },
  { collection: 'subnets', resource: 'subnet', spec: SUBNET_TABLE },
  { collection: 'ports', resource: 'port', spec: PORT_TABLE },
  { collection: 'security-groups', resource: 'security_group', spec: SECURITY_GROUP_TABLE },
  { collection: 'routers', resource: 'router', spec: ROUTER_TABLE },
  { collection: 'floatingips', resource: 'floatingip', spec: FLOATING_IP_TABLE },
  { collection: 'subnetpools', resource: 'subnetpool', spec: SUBNET_POOL_TABLE },
  { collection: 'address-scopes', resource: 'address_scope', spec: ADDRESS_SCOPE_TABLE },
];
