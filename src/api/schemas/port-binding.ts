/** Wire schemas of port bindings (binding-extended). */
import { Type } from '@sinclair/typebox';
import { VNIC_TYPES } from './port.js';

/** Path of one binding: the port and the host. */
export const BindingParams = Type.Object({ id: Type.String({ maxLength: 255 }), host: Type.String({ minLength: 1, maxLength: 255 }) });

/** Body of POST /ports/{id}/bindings. */
export const BindingCreate = Type.Object(
  {
    binding: Type.Object(
      {
        host: Type.String({ minLength: 1, maxLength: 255 }),
        vnic_type: Type.Optional(VNIC_TYPES),
        profile: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Filters of GET /ports/{id}/bindings. */
export const BindingFilters = Type.Object(
  {
    host: Type.Optional(Type.String({ maxLength: 255 })),
    vif_type: Type.Optional(Type.String({ maxLength: 64 })),
    vnic_type: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(Type.Union([Type.Literal('ACTIVE'), Type.Literal('INACTIVE')])),
  },
  { additionalProperties: false },
);

/** One binding as returned. */
export const Binding = Type.Object({
  host: Type.String(),
  vif_type: Type.String(),
  vnic_type: Type.String(),
  status: Type.String(),
  profile: Type.Record(Type.String(), Type.Unknown()),
  vif_details: Type.Record(Type.String(), Type.Unknown()),
});
