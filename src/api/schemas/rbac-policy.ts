/** Wire schemas of RBAC policies. */
import { Type } from '@sinclair/typebox';
import { RBAC_OBJECT_TYPES } from '../../domain/rbac-policy.js';
import { ProjectId, Uuid } from './common.js';

const Target = Type.String({ minLength: 1, maxLength: 255 });

/** Attributes accepted by POST /rbac-policies. */
export const RbacPolicyCreate = Type.Object(
  {
    object_type: Type.Union(RBAC_OBJECT_TYPES.map((t) => Type.Literal(t))),
    object_id: Uuid,
    action: Type.Union([Type.Literal('access_as_shared'), Type.Literal('access_as_external')]),
    target_tenant: Target,
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /rbac-policies/{id}. */
export const RbacPolicyUpdate = Type.Object({ target_tenant: Type.Optional(Target) }, { additionalProperties: false });

/** An RBAC policy as returned. */
export const RbacPolicy = Type.Partial(
  Type.Object({
    id: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    object_type: Type.String(),
    object_id: Type.String(),
    action: Type.String(),
    target_tenant: Type.String(),
  }),
);
