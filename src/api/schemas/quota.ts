/** Wire schemas of quotas (quotasv2 and quota_details extensions). */
import { Type, type TInteger, type TObject, type TSchema } from '@sinclair/typebox';
import { QUOTA_RESOURCES, type QuotaResource } from '../../domain/quota.js';

const Limit = Type.Integer({ minimum: -1, maximum: 2147483647, description: '-1 means unlimited' });

function perResource<T extends TSchema>(schema: T) {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, schema])) as Record<QuotaResource, T>;
}

/** The limits of one project. */
export const QuotaLimits: TObject<Record<QuotaResource, TInteger>> = Type.Object(perResource(Limit));

/** Body of PUT /quotas/{project_id}: any subset of the limits. */
export const QuotaUpdateBody = Type.Object(
  { quota: Type.Partial(Type.Object(perResource(Limit), { additionalProperties: false }), { additionalProperties: false }) },
  { additionalProperties: false },
);

/** One line of the details answer. */
export const QuotaDetail = Type.Object({ used: Type.Integer(), limit: Type.Integer(), reserved: Type.Integer() });

/** Path parameter `{project_id}`. */
export const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 255 }) });

/** GET /quotas answer: projects with non-default limits. */
export const QuotaListResponse = Type.Object({
  quotas: Type.Array(Type.Intersect([QuotaLimits, Type.Object({ project_id: Type.String(), tenant_id: Type.String() })])),
});

/** GET /quotas/{project_id}/details answer. */
export const QuotaDetailsResponse = Type.Object({ quota: Type.Object(perResource(QuotaDetail)) });
