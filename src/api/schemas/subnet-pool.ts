/** Wire schemas of subnet pools and their prefix actions. */
import { Type } from '@sinclair/typebox';
import { IntegerLike, Nullable, ProjectId, ShortText, Tags, Uuid } from './common.js';

const Prefixes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 256 });
const PrefixLength = IntegerLike({ minimum: 0, maximum: 128 });

const mutable = {
  name: ShortText,
  description: Type.Optional(ShortText),
  prefixes: Prefixes,
  default_prefixlen: Type.Optional(PrefixLength),
  min_prefixlen: Type.Optional(PrefixLength),
  max_prefixlen: Type.Optional(PrefixLength),
  default_quota: Type.Optional(Nullable(IntegerLike({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }))),
  address_scope_id: Type.Optional(Nullable(Uuid)),
  is_default: Type.Optional(Type.Boolean()),
};

/** Attributes accepted by POST /subnetpools. */
export const SubnetPoolCreate = Type.Object(
  { ...mutable, project_id: Type.Optional(ProjectId), tenant_id: Type.Optional(ProjectId), shared: Type.Optional(Type.Boolean()), tags: Type.Optional(Tags) },
  { additionalProperties: false },
);

/** Attributes accepted by PUT /subnetpools/{id}. */
export const SubnetPoolUpdate = Type.Partial(Type.Object(mutable, { additionalProperties: false }));

/** Body and answer of PUT /subnetpools/{id}/add_prefixes and remove_prefixes. */
export const PrefixesBody = Type.Object({ prefixes: Prefixes }, { additionalProperties: false });

/** A subnet pool as returned. */
export const SubnetPool = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    project_id: Type.String(),
    tenant_id: Type.String(),
    ip_version: Type.Integer(),
    prefixes: Type.Array(Type.String()),
    default_prefixlen: Type.Integer(),
    min_prefixlen: Type.Integer(),
    max_prefixlen: Type.Integer(),
    default_quota: Nullable(Type.Integer()),
    address_scope_id: Nullable(Type.String()),
    shared: Type.Boolean(),
    is_default: Type.Boolean(),
    tags: Type.Array(Type.String()),
    revision_number: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  }),
);
