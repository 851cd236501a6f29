import { Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as policies from './policies';

/** What one key group needs the rotation role to be allowed to do. */
export interface GroupPermissionsInput {
  readonly groupId: string;
  readonly aliasArn: string;
  readonly generationAliasArns: string;
  readonly wrappingAlgorithm: string;
  readonly wrappingKeySpec: string;
  readonly expirationModel: string;
  /** Set only when the group's removal policy is DESTROY. */
  readonly pendingWindowDays?: string;
}

/**
 * The rotation role's key permissions, for every key group of a stack.
 *
 * Each statement is scoped to the group ids that share its settings, held in
 * a list rendered at synth time. A statement per group would make the role's
 * inline policy grow by about 2 KB per group, and IAM caps a role's inline
 * policies at 10,240 characters; sharing statements adds only the group id and
 * alias ARNs per group, with the same effective permissions.
 */
export class GroupPermissions {
  private readonly keyArns: string;
  private readonly shared = new Map<string, string[]>();
  private aliases?: iam.PolicyStatement;

  constructor(private readonly role: iam.IRole) {
    this.keyArns = Stack.of(role).formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
  }

  /** Adds the permissions of one key group. */
  public add(group: GroupPermissionsInput): void {
    const k = this.keyArns;
    this.scope('create', group.groupId, (ids) => policies.createKeyStatement(ids));
    this.scope('manage', group.groupId, (ids) => policies.manageKeysStatement(k, ids));
    this.scope('policy', group.groupId, (ids) => policies.putKeyPolicyStatement(k, ids));
    this.scope(`wrap:${group.wrappingAlgorithm}/${group.wrappingKeySpec}`, group.groupId,
      (ids) => policies.getImportParametersStatement(k, ids, group.wrappingAlgorithm, group.wrappingKeySpec));
    this.scope(`import:${group.expirationModel}`, group.groupId,
      (ids) => policies.importKeyMaterialStatement(k, ids, group.expirationModel));
    if (group.pendingWindowDays !== undefined) {
      const days = group.pendingWindowDays;
      this.scope(`delete:${days}`, group.groupId, (ids) => policies.scheduleKeyDeletionStatement(k, ids, days));
    }
    if (!this.aliases) {
      this.aliases = policies.aliasStatement([]);
      this.role.addToPrincipalPolicy(this.aliases);
      this.role.addToPrincipalPolicy(policies.discoveryStatement());
      this.role.addToPrincipalPolicy(policies.deleteRenamedAliasStatement(Stack.of(this.role).formatArn({ service: 'kms', resource: 'alias', resourceName: '*' })));
    }
    this.aliases.addResources(group.aliasArn, group.generationAliasArns);
  }

  private scope(key: string, groupId: string, build: (groupIds: string[]) => iam.PolicyStatement): void {
    const existing = this.shared.get(key);
    if (existing) {
      existing.push(groupId);
      return;
    }
    const ids = [groupId];
    this.shared.set(key, ids);
    this.role.addToPrincipalPolicy(build(Lazy.list({ produce: () => ids })));
  }
}
