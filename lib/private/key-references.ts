import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

// Finds where a resource's rendered CloudFormation properties refer to a key
// group: the custom resource's attributes (keyArn, keyId, currentKeyArn,
// currentKeyId are GetAtt tokens), the alias ARN or the alias name.

/** What the checks need of a key group (RotatingImportedKey). */
export interface KeyGroupRef extends IConstruct {
  readonly aliasName: string;
  readonly aliasArn: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly currentKeyArn: string;
  readonly currentKeyId: string;
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;
}

/** `alias`: follows rotation (keyArn, keyId, aliasArn, aliasName); `generation`: names one generation. */
export type ReferenceKind = 'alias' | 'generation';

/** One place a resource refers to a key group. */
export interface KeyReference {
  readonly key: KeyGroupRef;
  readonly kind: ReferenceKind;
  /** The key group's attribute the value is (`keyArn`, `currentKeyArn`, `aliasName`, ...). */
  readonly attribute: string;
  /** Property path as CloudFormation names it, list indices as `*`, up to the first intrinsic function. */
  readonly property: string;
  /** The path with list indices, for finding the statement an IAM reference is in. */
  readonly path: Array<string | number>;
}

interface Form {
  readonly key: KeyGroupRef;
  readonly kind: ReferenceKind;
  readonly attribute: string;
}

/** The resolved values of every key group's attributes, to look rendered values up in. */
export class KeyForms {
  private readonly forms = new Map<string, Form[]>();

  constructor(keys: KeyGroupRef[]) {
    for (const key of keys) {
      const stack = Stack.of(key);
      const add = (attribute: string, kind: ReferenceKind, value: string) => {
        const json = JSON.stringify(stack.resolve(value));
        this.forms.set(json, [...(this.forms.get(json) ?? []), { key, kind, attribute }]);
      };
      add('keyArn', 'alias', key.keyArn);
      add('keyId', 'alias', key.keyId);
      add('aliasArn', 'alias', key.aliasArn);
      if (!Token.isUnresolved(key.aliasName)) add('aliasName', 'alias', key.aliasName);
      add('currentKeyArn', 'generation', key.currentKeyArn);
      add('currentKeyId', 'generation', key.currentKeyId);
    }
  }

  /**
   * The key group a rendered value is. A GetAtt renders the same in every stack
   * before cross-stack references are replaced, so a key group of the
   * resource's own stack wins over one with the same logical id elsewhere.
   */
  public lookUp(value: unknown, scope: IConstruct): Form | undefined {
    const candidates = this.forms.get(JSON.stringify(value));
    if (!candidates) return undefined;
    return candidates.find((c) => Stack.of(c.key) === Stack.of(scope)) ?? candidates[0];
  }
}

/**
 * The resource's properties as CloudFormation will see them (resolved). Uses
 * CfnResource's rendering (`_toCloudFormation`), as the synthesizer does:
 * aws-cdk-lib has no public API for a resource's rendered properties.
 */
export function renderedProperties(resource: CfnResource): Record<string, unknown> | undefined {
  try {
    const rendered = Stack.of(resource).resolve((resource as any)._toCloudFormation());
    const body = Object.values(rendered?.Resources ?? {})[0] as { Properties?: Record<string, unknown> } | undefined;
    return body?.Properties;
  } catch {
    // A value that cannot be resolved yet is not ours to report on; synthesis reports it.
    return undefined;
  }
}

function isCandidate(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Fn::GetAtt' || keys[0] === 'Fn::Join' || keys[0] === 'Ref');
}

function propertyOf(path: Array<string | number>): string {
  const segments: string[] = [];
  for (const segment of path) {
    if (typeof segment === 'string' && (segment.startsWith('Fn::') || segment === 'Ref')) break;
    segments.push(typeof segment === 'number' ? '*' : segment);
  }
  return segments.join('.');
}

/** Every place in the properties whose value is a key group's attribute. */
export function keyReferencesIn(properties: Record<string, unknown>, forms: KeyForms, scope: IConstruct): KeyReference[] {
  const found: KeyReference[] = [];
  const walk = (value: unknown, path: Array<string | number>) => {
    if (path.length > 0 && isCandidate(value)) {
      const form = forms.lookUp(value, scope);
      if (form) {
        found.push({ ...form, property: propertyOf(path), path });
        return;
      }
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(properties, []);
  return found;
}
