/** Wire schemas of routers and the router actions. */
import { Type } from '@sinclair/typebox';
import { Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';

const Route = Type.Object({ destination: Type.String({ maxLength: 64 }), nexthop: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Routes = Type.Array(Route, { maxItems: 1000 });

const GatewayRequest = Nullable(
  Type.Object(
    {
      network_id: Type.Optional(Uuid),
      enable_snat: Type.Optional(Type.Boolean()),
      external_fixed_ips: Type.Optional(
        Type.Array(Type.Object({ subnet_id: Type.Optional(Uuid), ip_address: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }), { maxItems: 16 }),
      ),
    },
    { additionalProperties: false },
  ),
);

/** Attributes accepted by POST /routers. */
export const RouterCreate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    admin_state_up: Type.Optional(Type.Boolean()),
    external_gateway_info: Type.Optional(GatewayRequest),
    distributed: Type.Optional(Type.Boolean()),
    ha: Type.Optional(Type.Literal(false)),
    availability_zone_hints: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 16 })),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /routers/{id}. */
export const RouterUpdate = Type.Object(
  {
    name: Type.Optional(ShortText),
    description: Type.Optional(ShortText),
    admin_state_up: Type.Optional(Type.Boolean()),
    external_gateway_info: Type.Optional(GatewayRequest),
    distributed: Type.Optional(Type.Boolean()),
    ha: Type.Optional(Type.Literal(false)),
    // null means "no extra routes", as in Neutron.
    routes: Type.Optional(Nullable(Routes)),
  },
  { additionalProperties: false },
);

/** Body of add/remove_router_interface. */
export const RouterInterfaceBody = Type.Object(
  { subnet_id: Type.Optional(Uuid), port_id: Type.Optional(Uuid) },
  { additionalProperties: false },
);

/** Body of add/remove_extraroutes. */
export const ExtraRoutesBody = Type.Object({ router: Type.Object({ routes: Routes }, { additionalProperties: false }) }, { additionalProperties: false });

/** Answer of the interface actions. */
export const RouterInterfaceInfo = Type.Object({
  id: Type.String(),
  tenant_id: Type.String(),
  project_id: Type.String(),
  subnet_id: Type.String(),
  subnet_ids: Type.Array(Type.String()),
  port_id: Type.String(),
  network_id: Type.String(),
  tags: Type.Array(Type.String()),
});

/** A router as returned. */
export const Router = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    admin_state_up: Type.Boolean(),
    status: Type.String(),
    external_gateway_info: Nullable(
      Type.Object({
        network_id: Type.String(),
        enable_snat: Type.Boolean(),
        external_fixed_ips: Type.Array(Type.Object({ subnet_id: Type.String(), ip_address: Type.String() })),
      }),
    ),
    routes: Type.Array(Type.Object({ destination: Type.String(), nexthop: Type.String() })),
    distributed: Type.Boolean(),
    ha: Type.Boolean(),
    availability_zone_hints: Type.Array(Type.String()),
    availability_zones: Type.Array(Type.String()),
    flavor_id: Type.Null(),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
    // Admins only, on routers with a gateway: the host carrying it (null while no host can).
    'alcor:gateway_host': Type.Optional(Nullable(Type.String())),
  }),
);
