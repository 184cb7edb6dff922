/** Wires every service over one store: the single object the API and the CLI are given. */
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { createAvailabilityZoneService, type AvailabilityZoneService } from './availability-zones.js';
import { createIpAvailabilityService, type IpAvailabilityService } from './ip-availability.js';
import { createNetworkService, type NetworkService } from './networks.js';
import { createPortService, type PortService } from './ports.js';
import { createPortBindingService, type PortBindingService } from './port-bindings.js';
import { createSubnetService, type SubnetService } from './subnets.js';
import { createFloatingIpService, type FloatingIpService } from './floating-ips.js';
import { createHealthService, type HealthService } from './health.js';
import { createHostService, type HostService } from './hosts.js';
import { createQuotaService, type QuotaService } from './quotas.js';
import { createRouterService, type RouterService } from './routers.js';
import { createSecurityGroupRuleService, type SecurityGroupRuleService } from './security-group-rules.js';
import { createSecurityGroupService, type SecurityGroupService } from './security-groups.js';
import { createAddressScopeService, type AddressScopeService } from './address-scopes.js';
import { createRbacPolicyService, type RbacPolicyService } from './rbac-policies.js';
import { createSubnetPoolService, type SubnetPoolService } from './subnet-pools.js';
import { CORE_TAG_TARGETS } from './tag-targets.js';
import { createTagService, type TagService } from './tags.js';

/** All services of the controller. */
export interface Services {
  networks: NetworkService;
  subnets: SubnetService;
  ports: PortService;
  portBindings: PortBindingService;
  ipAvailability: IpAvailabilityService;
  securityGroups: SecurityGroupService;
  securityGroupRules: SecurityGroupRuleService;
  quotas: QuotaService;
  tags: TagService;
  routers: RouterService;
  floatingIps: FloatingIpService;
  health: HealthService;
  hosts: HostService;
  availabilityZones: AvailabilityZoneService;
  subnetPools: SubnetPoolService;
  addressScopes: AddressScopeService;
  rbacPolicies: RbacPolicyService;
}

/** Builds the services over a store. */
export function createServices(store: Store, config: ServerConfig): Services {
  return {
    networks: createNetworkService(store, config),
    subnets: createSubnetService(store, config),
    ports: createPortService(store, config),
    portBindings: createPortBindingService(store),
    ipAvailability: createIpAvailabilityService(store),
    securityGroups: createSecurityGroupService(store, config),
    securityGroupRules: createSecurityGroupRuleService(store, config),
    quotas: createQuotaService(store, config),
    tags: createTagService(store, CORE_TAG_TARGETS),
    routers: createRouterService(store, config),
    floatingIps: createFloatingIpService(store, config),
    health: createHealthService(store),
    hosts: createHostService(store),
    availabilityZones: createAvailabilityZoneService(store),
    subnetPools: createSubnetPoolService(store, config),
    addressScopes: createAddressScopeService(store),
    rbacPolicies: createRbacPolicyService(store, config),
  };
}
