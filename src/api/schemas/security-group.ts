/** Wire schemas of security groups and security group rules. */
import { Type } from '@sinclair/typebox';
import { Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';

/** Attributes accepted by POST /security-groups. */
export const SecurityGroupCreate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    stateful: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /security-groups/{id}. */
export const SecurityGroupUpdate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    stateful: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const PortValue = Nullable(Type.Union([Type.Integer(), Type.String({ maxLength: 16 })]));

/** Attributes accepted by POST /security-group-rules. */
export const SecurityGroupRuleCreate = Type.Object(
  {
    security_group_id: Uuid,
    direction: Type.String({ maxLength: 16 }),
    ethertype: Type.Optional(Type.String({ maxLength: 16 })),
    protocol: Type.Optional(Nullable(Type.Union([Type.String({ maxLength: 40 }), Type.Integer()]))),
    port_range_min: Type.Optional(PortValue),
    port_range_max: Type.Optional(PortValue),
    remote_ip_prefix: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    // Not format-checked: Neutron answers an unknown value of any form with 404 SecurityGroupNotFound.
    remote_group_id: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    remote_address_group_id: Type.Optional(Type.Null()),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
  },
  { additionalProperties: false },
);

/** A rule as returned (every field optional because of `fields=`). */
export const SecurityGroupRule = Type.Partial(
  Type.Object({
    id: Type.String(),
    security_group_id: Type.String(),
    direction: Type.String(),
    ethertype: Type.String(),
    protocol: Nullable(Type.String()),
    port_range_min: Nullable(Type.Integer()),
    port_range_max: Nullable(Type.Integer()),
    remote_ip_prefix: Nullable(Type.String()),
    remote_group_id: Nullable(Type.String()),
    remote_address_group_id: Type.Null(),
    normalized_cidr: Nullable(Type.String()),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);

/** A group as returned. */
export const SecurityGroup = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    stateful: Type.Boolean(),
    shared: Type.Boolean(),
    security_group_rules: Type.Array(SecurityGroupRule),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
