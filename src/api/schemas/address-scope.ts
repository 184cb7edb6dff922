/** Wire schemas of address scopes. */
import { Type } from '@sinclair/typebox';
import { ProjectId, ShortText, Tags } from './common.js';

/** Attributes accepted by POST /address-scopes. */
export const AddressScopeCreate = Type.Object(
  {
    name: ShortText,
    ip_version: Type.Union([Type.Literal(4), Type.Literal(6)]),
    description: Type.Optional(ShortText),
    project_id: Type.Optional(ProjectId),
    tenant_id: Type.Optional(ProjectId),
    shared: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /address-scopes/{id}. */
export const AddressScopeUpdate = Type.Object(
  { name: Type.Optional(ShortText), description: Type.Optional(ShortText), shared: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** An address scope as returned. */
export const AddressScope = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    ip_version: Type.Integer(),
    shared: Type.Boolean(),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
