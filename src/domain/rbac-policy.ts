/** RBAC policies (Neutron's rbac-policies): which project may use another project's object, and how. Pure. */
import { InvalidActionForType } from './errors.js';

/** Object types that take RBAC entries in this build. */
export const RBAC_OBJECT_TYPES = ['network', 'security_group', 'address_scope', 'subnetpool'] as const;
/** One RBAC object type. */
export type RbacObjectType = (typeof RBAC_OBJECT_TYPES)[number];
/** What an entry grants: use of the object, or a network as an external network. */
export type RbacAction = 'access_as_shared' | 'access_as_external';
/** The target that means every project. */
export const EVERY_PROJECT = '*';

/** A Neutron RBAC policy. */
export interface RbacPolicy {
  id: string;
  project_id: string;
  tenant_id: string;
  object_type: RbacObjectType;
  object_id: string;
  action: RbacAction;
  target_tenant: string;
}

/** Body of POST /rbac-policies after schema validation. */
export interface RbacPolicyCreate {
  object_type: RbacObjectType;
  object_id: string;
  action: RbacAction;
  target_tenant: string;
  project_id?: string;
  tenant_id?: string;
}

/** Body of PUT /rbac-policies/{id}: only the target may change. */
export interface RbacPolicyUpdate {
  target_tenant?: string;
}

/** access_as_external applies to networks only (Neutron's InvalidActionForType otherwise). */
export function validateRbacAction(objectType: RbacObjectType, action: RbacAction): void {
  if (action === 'access_as_external' && objectType !== 'network') {
    throw new InvalidActionForType(`Invalid action '${action}' for object type '${objectType}'. Valid actions: [access_as_shared]`);
  }
}
