/** Wire schemas of ports. */
import { Type } from '@sinclair/typebox';
import { Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';

const Address = Type.String({ minLength: 1, maxLength: 64 });

/** vnic_type values Neutron accepts. */
export const VNIC_TYPES = Type.Union(
  ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed', 'vdpa'].map((v) => Type.Literal(v)),
);
const FixedIpRequest = Type.Object(
  { subnet_id: Type.Optional(Uuid), ip_address: Type.Optional(Address) },
  { additionalProperties: false },
);
const AddressPairRequest = Type.Object(
  { ip_address: Address, mac_address: Type.Optional(Type.String({ maxLength: 32 })) },
  { additionalProperties: false },
);
const ExtraDhcpOptRequest = Type.Object(
  { opt_name: Type.String({ minLength: 1, maxLength: 64 }), opt_value: Type.String({ maxLength: 255 }), ip_version: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);

const mutable = {
  name: Type.Optional(ShortText),
  description: Type.Optional(ShortText),
  admin_state_up: Type.Optional(Type.Boolean()),
  mac_address: Type.Optional(Type.String({ maxLength: 32 })),
  device_id: Type.Optional(ShortText),
  device_owner: Type.Optional(ShortText),
  fixed_ips: Type.Optional(Type.Array(FixedIpRequest, { maxItems: 64 })),
  allowed_address_pairs: Type.Optional(Type.Array(AddressPairRequest, { maxItems: 64 })),
  extra_dhcp_opts: Type.Optional(Type.Array(ExtraDhcpOptRequest, { maxItems: 64 })),
  security_groups: Type.Optional(Type.Array(Uuid, { maxItems: 64 })),
  port_security_enabled: Type.Optional(Type.Boolean()),
  'binding:host_id': Type.Optional(Type.String({ maxLength: 255 })),
  'binding:vnic_type': Type.Optional(VNIC_TYPES),
  'binding:profile': Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

/** Attributes accepted by POST /ports. */
export const PortCreate = Type.Object(
  { network_id: Uuid, project_id: Type.Optional(ProjectId), tenant_id: Type.Optional(ProjectId), tags: Type.Optional(Tags), ...mutable },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /ports/{id}. */
export const PortUpdate = Type.Object(
  // mac_address null regenerates the MAC (Neutron's port-mac-address-regenerate).
  { ...mutable, mac_address: Type.Optional(Nullable(Type.String({ maxLength: 32 }))) },
  { additionalProperties: false },
);

/** A port as returned. */
export const Port = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    network_id: Type.String(),
    mac_address: Type.String(),
    admin_state_up: Type.Boolean(),
    status: Type.String(),
    device_id: Type.String(),
    device_owner: Type.String(),
    fixed_ips: Type.Array(Type.Object({ subnet_id: Type.String(), ip_address: Type.String() })),
    allowed_address_pairs: Type.Array(Type.Object({ ip_address: Type.String(), mac_address: Type.String() })),
    extra_dhcp_opts: Type.Array(Type.Object({ opt_name: Type.String(), opt_value: Type.String(), ip_version: Type.Integer() })),
    security_groups: Type.Array(Type.String()),
    port_security_enabled: Type.Boolean(),
    'binding:host_id': Type.String(),
    'binding:vnic_type': Type.String(),
    'binding:vif_type': Type.String(),
    'binding:profile': Type.Record(Type.String(), Type.Unknown()),
    'binding:vif_details': Type.Record(Type.String(), Type.Unknown()),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
