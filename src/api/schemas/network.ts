/** Wire schemas of networks. */
import { Type } from '@sinclair/typebox';
import { Nullable, ProjectId, ShortText, Tags } from './common.js';

const NetworkType = Type.Union([Type.Literal('vxlan'), Type.Literal('vlan'), Type.Literal('flat')]);
const ProviderAttributes = {
  'provider:network_type': Type.Optional(NetworkType),
  'provider:physical_network': Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  'provider:segmentation_id': Type.Optional(Type.Integer({ minimum: 0, maximum: 16777215 })),
};

/** Attributes accepted by POST /networks. */
export const NetworkCreate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    admin_state_up: Type.Optional(Type.Boolean()),
    shared: Type.Optional(Type.Boolean()),
    'router:external': Type.Optional(Type.Boolean()),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
    port_security_enabled: Type.Optional(Type.Boolean()),
    availability_zone_hints: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 16 })),
    tags: Type.Optional(Tags),
    ...ProviderAttributes,
    // multi-provider: the segments of the network (Alcor networks have exactly one).
    segments: Type.Optional(Type.Array(Type.Object(ProviderAttributes, { additionalProperties: false }), { minItems: 1, maxItems: 16 })),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /networks/{id}. */
export const NetworkUpdate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    admin_state_up: Type.Optional(Type.Boolean()),
    shared: Type.Optional(Type.Boolean()),
    'router:external': Type.Optional(Type.Boolean()),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
    port_security_enabled: Type.Optional(Type.Boolean()),
    'alcor:southbound_channel': Type.Optional(Nullable(Type.Union([Type.Literal('grpc'), Type.Literal('mq'), Type.Literal('auto')]))),
  },
  { additionalProperties: false },
);

/** A network as returned (every field optional because of `fields=`). */
export const Network = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    admin_state_up: Type.Boolean(),
    shared: Type.Boolean(),
    'router:external': Type.Boolean(),
    mtu: Type.Integer(),
    port_security_enabled: Type.Boolean(),
    status: Type.String(),
    subnets: Type.Array(Type.String()),
    availability_zone_hints: Type.Array(Type.String()),
    availability_zones: Type.Array(Type.String()),
    ipv4_address_scope: Nullable(Type.String()),
    ipv6_address_scope: Nullable(Type.String()),
    is_default: Type.Boolean(),
    l2_adjacency: Type.Boolean(),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
    'provider:network_type': Type.String(),
    'provider:physical_network': Nullable(Type.String()),
    'provider:segmentation_id': Nullable(Type.Integer()),
    'alcor:southbound_channel': Nullable(Type.String()),
  }),
);
