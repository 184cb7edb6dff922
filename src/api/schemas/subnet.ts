/** Wire schemas of subnets. */
import { Type } from '@sinclair/typebox';
import { IntegerLike, Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';

const Ipv6Mode = Nullable(Type.Union([Type.Literal('slaac'), Type.Literal('dhcpv6-stateful'), Type.Literal('dhcpv6-stateless')]));
const Address = Type.String({ minLength: 1, maxLength: 64 });
const Pool = Type.Object({ start: Address, end: Address }, { additionalProperties: false });
const HostRoute = Type.Object({ destination: Address, nexthop: Address }, { additionalProperties: false });

const mutable = {
  name: Type.Optional(ShortText),
  description: Type.Optional(ShortText),
  gateway_ip: Type.Optional(Nullable(Address)),
  enable_dhcp: Type.Optional(Type.Boolean()),
  allocation_pools: Type.Optional(Type.Array(Pool, { maxItems: 64 })),
  dns_nameservers: Type.Optional(Type.Array(Address, { maxItems: 16 })),
  host_routes: Type.Optional(Type.Array(HostRoute, { maxItems: 64 })),
};

/** Attributes accepted by POST /subnets. */
export const SubnetCreate = Type.Object(
  {
    network_id: Uuid,
    cidr: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    subnetpool_id: Type.Optional(Nullable(Uuid)),
    prefixlen: Type.Optional(IntegerLike({ minimum: 0, maximum: 128 })),
    use_default_subnetpool: Type.Optional(Type.Boolean()),
    ip_version: Type.Union([Type.Literal(4), Type.Literal(6)]),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    ipv6_ra_mode: Type.Optional(Ipv6Mode),
    ipv6_address_mode: Type.Optional(Ipv6Mode),
    tags: Type.Optional(Tags),
    ...mutable,
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /subnets/{id}. */
export const SubnetUpdate = Type.Object(mutable, { additionalProperties: false });

/** A subnet as returned. */
export const Subnet = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    network_id: Type.String(),
    ip_version: Type.Integer(),
    cidr: Type.String(),
    gateway_ip: Nullable(Type.String()),
    enable_dhcp: Type.Boolean(),
    ipv6_ra_mode: Nullable(Type.String()),
    ipv6_address_mode: Nullable(Type.String()),
    allocation_pools: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
    dns_nameservers: Type.Array(Type.String()),
    host_routes: Type.Array(Type.Object({ destination: Type.String(), nexthop: Type.String() })),
    subnetpool_id: Nullable(Type.String()),
    service_types: Type.Array(Type.String()),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
