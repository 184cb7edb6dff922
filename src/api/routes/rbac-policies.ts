/** /v2.0/rbac-policies: the standard collection routes. */
import type { FastifyPluginAsync } from 'fastify';
import type { RbacPolicyService } from '../../services/rbac-policies.js';
import { RbacPolicy, RbacPolicyCreate, RbacPolicyUpdate } from '../schemas/rbac-policy.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the RBAC policy resource family. */
export const rbacPolicyRoutes: FastifyPluginAsync<{ rbacPolicies: RbacPolicyService }> = async (app, { rbacPolicies }) => {
  registerCollectionRoutes(app, { one: 'rbac_policy', many: 'rbac_policies', path: 'rbac-policies', create: RbacPolicyCreate, update: RbacPolicyUpdate, resource: RbacPolicy }, rbacPolicies);
};
