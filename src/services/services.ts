/** Wires every service over one store: the single object the API and the CLI are given. */
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { createNetworkService, type NetworkService } from './networks.js';
import { createQuotaService, type QuotaService } from './quotas.js';
import { createSecurityGroupRuleService, type SecurityGroupRuleService } from './security-group-rules.js';
import { createSecurityGroupService, type SecurityGroupService } from './security-groups.js';

/** All services of the controller. */
export interface Services {
  networks: NetworkService;
  securityGroups: SecurityGroupService;
  securityGroupRules: SecurityGroupRuleService;
  quotas: QuotaService;
}

/** Builds the services over a store. */
export function createServices(store: Store, config: ServerConfig): Services {
  return {
    networks: createNetworkService(store, config),
    securityGroups: createSecurityGroupService(store),
    securityGroupRules: createSecurityGroupRuleService(store),
    quotas: createQuotaService(store, config),
  };
}
