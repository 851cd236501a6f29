import { Lazy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** One statement a key group needs, and how groups share it. */
export interface StatementShare {
  /** Groups whose shares have the same key share one statement. */
  readonly key: string;
  /** Builds the statement once, for the list of group ids that share it and the list of their `values` (both complete at synth). */
  readonly build: (groupIds: string[], values: string[]) => iam.PolicyStatement;
  /** Resources this group adds to the shared statement. */
  readonly resources?: string[];
  /** Condition values this group adds to the shared statement (its user alias, say). */
  readonly values?: string[];
}

interface SharedStatement {
  readonly groupIds: string[];
  readonly values: string[];
  readonly statement: iam.PolicyStatement;
}

/**
 * A role's statements for every key group of a stack.
 *
 * Each statement is shared by the groups with the same settings: it lists
 * their group ids (a list rendered at synth time) or their resources. A
 * statement per group would make the role's inline policy grow by about 2 KB
 * per group, and IAM caps a role's inline policies at 10,240 characters;
 * sharing adds only the group id and alias ARNs per group, with the same
 * effective permissions.
 */
export class SharedPolicy {
  private readonly statements = new Map<string, SharedStatement>();

  /** `target`: a role's inline policy, or a managed policy attached to it. */
  constructor(private readonly target: iam.IRole | iam.ManagedPolicy) {}

  /** Adds one key group's shares. */
  public add(groupId: string, shares: StatementShare[]): void {
    for (const share of shares) {
      let entry = this.statements.get(share.key);
      if (!entry) {
        const groupIds: string[] = [];
        const values: string[] = [];
        entry = { groupIds, values, statement: share.build(Lazy.list({ produce: () => groupIds }), Lazy.list({ produce: () => values })) };
        this.statements.set(share.key, entry);
        if (this.target instanceof iam.ManagedPolicy) this.target.addStatements(entry.statement);
        else this.target.addToPrincipalPolicy(entry.statement);
      }
      if (!entry.groupIds.includes(groupId)) entry.groupIds.push(groupId);
      if (share.resources) entry.statement.addResources(...share.resources);
      for (const v of share.values ?? []) if (!entry.values.includes(v)) entry.values.push(v);
    }
  }
}
