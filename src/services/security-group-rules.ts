/**
 * Security group rules: create (single or bulk, all or nothing) with Neutron's validation, duplicate
 * detection (409 SecurityGroupRuleExists) and quota, show, list and delete. Rules are immutable, as in
 * Neutron. Each change bumps the group's revision and appends a `security_group_rule` change record,
 * so the data plane receives per-rule deltas.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import { DuplicateSecurityGroupRuleInPost, SecurityGroupNotFound, SecurityGroupRuleExists } from '../domain/errors.js';
import type { ListPage, ListQuery } from '../domain/list-query.js';
import { normalizeRule, ruleKey, type SecurityGroupRule, type SecurityGroupRuleCreate } from '../domain/security-group.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { collectionReader } from './collection-reader.js';
import { owningProject } from './access.js';
import { checkQuota } from './quotas.js';
import {
  insertRule,
  ruleFromRow,
  SECURITY_GROUP_RULE_TABLE,
  SECURITY_GROUP_TABLE,
  type SecurityGroupRow,
  type SecurityGroupRuleRow,
} from './security-group-rows.js';
import { assertGroupOwner } from './security-groups.js';
import { checkRevision, timestamp } from './standard-attributes.js';
import { getVisibleRow } from './table-list.js';

/** The rule service. */
export interface SecurityGroupRuleService {
  createMany(ctx: RequestContext, bodies: SecurityGroupRuleCreate[]): Promise<SecurityGroupRule[]>;
  get(ctx: RequestContext, id: string): Promise<SecurityGroupRule>;
  list(ctx: RequestContext, query: ListQuery): Promise<ListPage<SecurityGroupRule>>;
  delete(ctx: RequestContext, id: string, ifRevision?: number): Promise<void>;
}

async function touchGroup(tx: Queryable, id: string): Promise<void> {
  await tx.run('UPDATE security_groups SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [timestamp(), id]);
  await appendChange(tx, 'security_group', id, 'update');
}

async function insertValidatedRule(tx: Queryable, ctx: RequestContext, body: SecurityGroupRuleCreate, inPost: Set<string>, config: ServerConfig): Promise<string> {
  const group = await getVisibleRow<SecurityGroupRow>(tx, SECURITY_GROUP_TABLE, ctx, body.security_group_id);
  assertGroupOwner(ctx, group.project_id, group.id);
  owningProject(ctx, body);
  const rule = normalizeRule(body);
  if (rule.remote_group_id !== null) {
    const remote = await tx.get<{ project_id: string }>('SELECT project_id FROM security_groups WHERE id = ?', [rule.remote_group_id]);
    if (!remote || (!ctx.isAdmin && remote.project_id !== ctx.projectId && remote.project_id !== group.project_id)) {
      throw new SecurityGroupNotFound(`Security group ${rule.remote_group_id} does not exist`);
    }
  }
  const key = ruleKey(rule);
  if (inPost.has(`${group.id}|${key}`)) throw new DuplicateSecurityGroupRuleInPost('Duplicate security group rule in POST.');
  inPost.add(`${group.id}|${key}`);
  const existing = await tx.all<SecurityGroupRuleRow>('SELECT * FROM security_group_rules WHERE security_group_id = ?', [group.id]);
  const duplicate = existing.find((r) => ruleKey(r) === key);
  if (duplicate) throw new SecurityGroupRuleExists(`Security group rule already exists. Rule id is ${duplicate.id}.`);
  await checkQuota(tx, config.quotaDefaults, group.project_id, 'security_group_rule', 1);
  const id = await insertRule(tx, group.id, group.project_id, rule, body.description ?? '');
  await touchGroup(tx, group.id);
  return id;
}

/** Builds the rule service. */
export function createSecurityGroupRuleService(store: Store, config: ServerConfig): SecurityGroupRuleService {
  const reader = collectionReader<SecurityGroupRuleRow, SecurityGroupRule>(store, SECURITY_GROUP_RULE_TABLE, async (_q, _ctx, rows) => rows.map(ruleFromRow));

  return {
    createMany: (ctx, bodies) =>
      store.write(async (tx) => {
        const ids: string[] = [];
        const inPost = new Set<string>();
        for (const body of bodies) ids.push(await insertValidatedRule(tx, ctx, body, inPost, config));
        const created: SecurityGroupRule[] = [];
        for (const id of ids) created.push(await reader.readOne(tx, ctx, id));
        return created;
      }),

    get: reader.get,

    list: reader.list,

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        const row = await getVisibleRow<SecurityGroupRuleRow>(tx, SECURITY_GROUP_RULE_TABLE, ctx, id);
        checkRevision('security_group_rule', id, Number(row.revision_number), ifRevision);
        const group = await tx.get<{ project_id: string }>('SELECT project_id FROM security_groups WHERE id = ?', [row.security_group_id]);
        assertGroupOwner(ctx, group?.project_id ?? row.project_id, row.security_group_id);
        await tx.run('DELETE FROM security_group_rules WHERE id = ?', [id]);
        await appendChange(tx, 'security_group_rule', id, 'delete');
        await touchGroup(tx, row.security_group_id);
      }),
  };
}
