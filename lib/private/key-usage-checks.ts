import { Annotations, AspectPriority, Aspects, CfnResource, IAspect, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { KeyForms, KeyGroupRef, KeyReference, keyReferencesIn, renderedProperties } from './key-references';
import { registerL1KeyTraits } from './l1-key-traits';
import { KeyBehaviour, keyFieldOf, looksLikeKeyField, ServiceKeyField } from './service-table';
import { KeyUsageFinding } from '../key-usage-finding';

// The synth-time guard rails: an aspect (read-only, on by default for every
// app with a key group) that finds the resources using a key group and reports
// what rotation will do to them, from the service table.

const IAM_POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);
/** KMS actions on aliases, which IAM does match against alias ARNs. */
const ALIAS_ACTIONS = new Set(['kms:createalias', 'kms:updatealias', 'kms:deletealias', 'kms:listaliases']);

/** The key groups of an app and the constructs they own (whose resources are the library's own). */
export class KeyGroupRegistry {
  /** The registry of the app (root) the scope is in, created with its checks on first use. */
  public static of(scope: IConstruct): KeyGroupRegistry {
    const root = scope.node.root;
    let registry = REGISTRIES.get(root);
    if (!registry) {
      registry = new KeyGroupRegistry();
      REGISTRIES.set(root, registry);
      registerL1KeyTraits(root, () => registry!.forms());
    }
    const stage = Stage.of(scope) ?? root;
    if (!registry.stages.has(stage)) {
      registry.stages.add(stage);
      Aspects.of(stage).add(new KeyUsageChecks(registry), { priority: AspectPriority.READONLY });
    }
    return registry;
  }

  public readonly keys: KeyGroupRef[] = [];
  private readonly owned = new Set<IConstruct>();
  private readonly stages = new Set<IConstruct>();
  private cachedForms?: KeyForms;
  private formsOf = 0;

  private constructor() {}

  /** Registers a key group; it and the stack's shared services are the library's own resources. */
  public add(key: KeyGroupRef, services: IConstruct): void {
    this.keys.push(key);
    this.owned.add(key);
    this.owned.add(services);
  }

  /** Whether the construct is part of a key group or of the shared services. */
  public isOwned(construct: IConstruct): boolean {
    return construct.node.scopes.some((s) => this.owned.has(s));
  }

  /** The resolved attributes of every key group (rebuilt when a key group was added). */
  public forms(): KeyForms {
    if (!this.cachedForms || this.formsOf !== this.keys.length) {
      this.cachedForms = new KeyForms(this.keys);
      this.formsOf = this.keys.length;
    }
    return this.cachedForms;
  }
}

const REGISTRIES = new WeakMap<IConstruct, KeyGroupRegistry>();

class KeyUsageChecks implements IAspect {
  constructor(private readonly registry: KeyGroupRegistry) {}

  public visit(node: IConstruct): void {
    if (this.registry.keys.includes(node as KeyGroupRef)) {
      this.checkAliasUnique(node as KeyGroupRef);
    } else if (CfnResource.isCfnResource(node) && !this.registry.isOwned(node)) {
      this.checkResource(node);
    }
  }

  private checkAliasUnique(key: KeyGroupRef): void {
    if (Token.isUnresolved(key.aliasName)) return;
    const earlier = this.registry.keys.slice(0, this.registry.keys.indexOf(key))
      .filter((other) => other.aliasName === key.aliasName && Stack.of(other) !== Stack.of(key) && sameEnvironment(other, key));
    for (const other of earlier) {
      report(key, 'error', KeyUsageFinding.DUPLICATE_ALIAS,
        `aliasName ${key.aliasName} is also used by ${other.node.path} (stack ${Stack.of(other).stackName}) in the same account and Region (${environmentOf(key)}): `
        + 'an alias is unique in an account and Region, so the second key group cannot be created. Use another alias, or deploy the stacks to different environments.');
    }
  }

  private checkResource(resource: CfnResource): void {
    const properties = renderedProperties(resource);
    if (!properties) return;
    const references = keyReferencesIn(properties, this.registry.forms(), resource);
    if (references.length === 0) return;
    const type = resource.cfnResourceType;
    const isPolicy = IAM_POLICY_TYPES.has(type);
    for (const ref of references) {
      if (isPolicy) {
        // In an IAM policy only the resources of a statement can misuse a key group (conditions name the alias on purpose).
        if (/(^|\.)PolicyDocument\.Statement\.\*\.Resource$/.test(ref.property)) this.checkStatement(resource, properties, ref);
        continue;
      }
      const field = keyFieldOf(type, ref.property);
      if (field) {
        this.checkKeyField(resource, field, ref);
      } else if (looksLikeKeyField(ref.property)) {
        if (ref.kind === 'generation') {
          report(resource, 'error', KeyUsageFinding.PINNED_GENERATION, pinnedMessage(type, ref, type));
        } else {
          report(resource, 'warning', KeyUsageFinding.UNKNOWN_SERVICE,
            `${type} ${ref.property} uses key group ${describe(ref)}; this library has no record of whether ${type} follows the alias at each use or resolves it once. `
            + 'After the first rotation (rotate-now), check that it uses the new generation; see README "Which AWS services follow the alias".');
        }
      } else if (ref.kind === 'generation') {
        report(resource, 'warning', KeyUsageFinding.DEPLOY_TIME_VALUE, deployTimeMessage(type, ref));
      }
    }
  }

  private checkKeyField(resource: CfnResource, field: ServiceKeyField, ref: KeyReference): void {
    const where = `${field.service} (${field.type} ${field.property})`;
    switch (field.behaviour) {
      case KeyBehaviour.FOLLOWS_ALIAS:
        if (ref.kind === 'generation') report(resource, 'error', KeyUsageFinding.PINNED_GENERATION, pinnedMessage(where, ref, field.service));
        return;
      case KeyBehaviour.RESOLVED_ONCE:
        report(resource, 'warning', KeyUsageFinding.RESOLVED_ONCE,
          `${where} resolves key group ${describe(ref)} once, when the resource is created or updated, and keeps that generation's key ARN. `
          + 'After a rotation it stays on the previous generation, which is fenced a propagation window later (no kms:Encrypt, kms:GenerateDataKey*, kms:ReEncryptTo), '
          + 'so whatever the service still asks that key to encrypt (new data keys, re-encryption, copies) is denied; decryption keeps working. '
          + `Re-point it after each rotation (${field.repoint}), or give ${field.service} a conventional kms.Key with enableKeyRotation.`);
        return;
      case KeyBehaviour.KEY_ARN_REQUIRED:
        report(resource, 'error', KeyUsageFinding.KEY_ARN_REQUIRED,
          `${where} needs a key ARN: key group ${describe(ref)} has none that lasts (${ref.kind === 'alias'
            ? 'its keyArn is the alias ARN'
            : `${ref.attribute} names the generation current at the last deploy, which the next rotation fences`}). `
          + `Use a conventional kms.Key (enableKeyRotation: true) for ${field.service}.`);
        return;
    }
  }

  private checkStatement(resource: CfnResource, properties: Record<string, unknown>, ref: KeyReference): void {
    const statementPath = ref.path.slice(0, ref.path.findIndex((s) => s === 'Statement') + 2);
    const statement = statementPath.reduce<any>((v, s) => v?.[s], properties);
    const actions = [statement?.Action ?? []].flat().filter((a): a is string => typeof a === 'string');
    const keyActions = actions.filter((a) => a.toLowerCase().startsWith('kms:') && !ALIAS_ACTIONS.has(a.toLowerCase()));
    if (statement?.Effect !== 'Allow' || keyActions.length === 0) return;
    if (ref.kind === 'generation') {
      report(resource, 'warning', KeyUsageFinding.DEPLOY_TIME_VALUE, deployTimeMessage(resource.cfnResourceType, ref));
      return;
    }
    report(resource, 'warning', KeyUsageFinding.GRANT_ON_ALIAS_ARN,
      `${resource.cfnResourceType} allows ${keyActions.join(', ')} on the alias ARN of key group ${describe(ref)}: IAM matches KMS key operations against the key's ARN, `
      + 'so this statement authorizes nothing. Constructs that grant through KeyGrants.fromKey(keyRef) instead of the key\'s own grant methods '
      + '(Glue catalogs and tables, among others) write such statements: also call key.grantEncryptDecrypt(principal) (or grantDecrypt, grantEncrypt) for the principal.');
  }
}

function describe(ref: KeyReference): string {
  return `${ref.key.node.path} (${ref.key.aliasName}, through ${ref.attribute})`;
}

function pinnedMessage(where: string, ref: KeyReference, service: string): string {
  return `${where} is given ${ref.attribute} of key group ${ref.key.node.path} (${ref.key.aliasName}): the generation current at the last deploy. `
    + 'A redeploy with unchanged props does not change it, and once the next rotation retires that generation its fence denies encryption to everyone. '
    + `Pass the key itself (keyArn, the alias ARN) so ${service} follows rotation.`;
}

function deployTimeMessage(type: string, ref: KeyReference): string {
  return `${type} ${ref.property} holds ${ref.attribute} of key group ${ref.key.node.path} (${ref.key.aliasName}), a deploy-time value: `
    + 'a redeploy with unchanged props does not refresh it, and after the next rotation it names a retired, decrypt-only generation. '
    + 'Use keyArn (the alias ARN) for what should follow rotation, and the key\'s grant methods for permissions.';
}

function environmentOf(scope: IConstruct): string {
  const { account, region } = Stack.of(scope);
  return Token.isUnresolved(account) || Token.isUnresolved(region) ? 'environment-agnostic stacks deploy to the same default account and Region' : `${account}/${region}`;
}

/** The same literal account and Region, or both environment-agnostic. */
function sameEnvironment(a: IConstruct, b: IConstruct): boolean {
  const [x, y] = [Stack.of(a), Stack.of(b)];
  const literal = (s: Stack) => !Token.isUnresolved(s.account) && !Token.isUnresolved(s.region);
  const agnostic = (s: Stack) => Token.isUnresolved(s.account) && Token.isUnresolved(s.region);
  if (literal(x) && literal(y)) return x.account === y.account && x.region === y.region;
  return agnostic(x) && agnostic(y);
}

/** Whether the id was acknowledged (Validations.of(...).acknowledge) on the construct or a scope above it. */
function isAcknowledged(scope: IConstruct, id: string): boolean {
  // Validations records annotation rules as `Annotation::<id>`.
  const acknowledged = (data: unknown) => typeof data === 'object' && data !== null
    && Object.keys(data).some((k) => k.replace(/^annotation::/i, '') === id);
  return scope.node.scopes.some((s) => s.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && acknowledged(m.data)));
}

function report(scope: IConstruct, level: 'error' | 'warning', id: string, message: string): void {
  if (level === 'warning') {
    Annotations.of(scope).addWarningV2(id, message);
  } else if (!isAcknowledged(scope, id)) {
    // Worded like addWarningV2's tag; errors are acknowledged through Validations.acknowledge only.
    Annotations.of(scope).addError(`${message} [ack: ${id}]`);
  }
}
