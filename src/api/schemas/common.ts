/** Schema pieces shared by the resource schemas. Each schema both validates and documents (OpenAPI). */
import { Type, type TArray, type TObject, type TOptional, type TSchema } from '@sinclair/typebox';

/** A resource name or description (Neutron allows 255 characters). */
export const ShortText = Type.String({ maxLength: 255 });
/** A project id as Keystone issues them. */
export const ProjectId = Type.String({ maxLength: 255 });
/** A UUID-formatted id. */
export const Uuid = Type.String({ format: 'uuid' });
/** A resource's tags. */
export const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 50 });
/** An integer, or its decimal text (Neutron converts such attributes with convert_to_int; the CLI sends text). */
export const IntegerLike = (options: { minimum: number; maximum?: number }) =>
  Type.Union([Type.Integer(options), Type.String({ pattern: '^[0-9]{1,15}$' })]);
/** `T | null`. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Path parameter `{id}`; not UUID-checked, since Neutron answers 404 (not 400) for a malformed id. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 255 }) });

/** Body of a create: `{"<one>": {...}}` or, for bulk, `{"<many>": [{...}, ...]}`. */
export function createBody<O extends string, M extends string, T extends TSchema>(one: O, many: M, item: T) {
  const properties = { [one]: Type.Optional(item), [many]: Type.Optional(Type.Array(item, { minItems: 1, maxItems: 10000 })) };
  return Type.Object(properties as { [K in O]: TOptional<T> } & { [K in M]: TOptional<TArray<T>> }, {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
  });
}

/** Body of an update: `{"<one>": {...}}`. */
export function updateBody<O extends string, T extends TSchema>(one: O, item: T): TObject<{ [K in O]: T }> {
  return Type.Object({ [one]: item } as { [K in O]: T }, { additionalProperties: false });
}

/** A list answer: `{"<many>": [...], "<many>_links": [...]}`. */
export function listResponse<T extends TSchema>(many: string, item: T) {
  return Type.Object({
    [many]: Type.Array(item),
    [`${many}_links`]: Type.Optional(Type.Array(Type.Object({ rel: Type.String(), href: Type.String() }))),
  });
}

/** The Neutron fault body, for documentation of error responses. */
export const FaultResponse = Type.Object({
  NeutronError: Type.Object({ type: Type.String(), message: Type.String(), detail: Type.String() }),
});
