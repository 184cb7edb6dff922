/** Wire schemas of floating IPs. */
import { Type } from '@sinclair/typebox';
import { PORT_DETAILS } from '../../domain/floating-ip.js';
import { Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';
import { Port } from './port.js';

const Address = Type.String({ maxLength: 64 });

/** Attributes accepted by POST /floatingips. */
export const FloatingIpCreate = Type.Object(
  {
    floating_network_id: Uuid,
    floating_ip_address: Type.Optional(Address),
    subnet_id: Type.Optional(Uuid),
    port_id: Type.Optional(Nullable(Uuid)),
    fixed_ip_address: Type.Optional(Nullable(Address)),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /floatingips/{id}. */
export const FloatingIpUpdate = Type.Object(
  {
    port_id: Type.Optional(Nullable(Uuid)),
    fixed_ip_address: Type.Optional(Nullable(Address)),
    description: Type.Optional(ShortText),
  },
  { additionalProperties: false },
);

/** A floating IP as returned. */
export const FloatingIp = Type.Partial(
  Type.Object({
    id: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    description: Type.String(),
    floating_network_id: Type.String(),
    floating_ip_address: Type.String(),
    port_id: Nullable(Type.String()),
    fixed_ip_address: Nullable(Type.String()),
    router_id: Nullable(Type.String()),
    status: Type.String(),
    dns_domain: Type.String(),
    dns_name: Type.String(),
    port_forwardings: Type.Array(Type.Never()),
    port_details: Nullable(Type.Required(Type.Pick(Port, [...PORT_DETAILS]))),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
