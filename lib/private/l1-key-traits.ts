import { CfnResource, FeatureFlags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { KeyForms, keyReferencesIn, renderedProperties } from './key-references';
import { keyFieldOf } from './service-table';

// aws-cdk-lib's grants on L1 resources (BucketGrants.fromBucket(cfnBucket),
// QueueGrants, TopicGrants, TableGrants) find the encryption key through a
// trait that only knows AWS::KMS::Key resources, so a key group behind an L1's
// key setting got no KMS permission at all. These traits, registered on the
// app, grant through the key group's own grant(), which follows rotation, and
// leave every other resource to aws-cdk-lib's default trait.

const ENCRYPTED_L1_TYPES = ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::DynamoDB::Table'];

/** Registers the traits on the app for the L1 types whose grants reach their key. */
export function registerL1KeyTraits(root: IConstruct, forms: () => KeyForms): void {
  for (const type of ENCRYPTED_L1_TYPES) {
    iam.EncryptedResources.register(root, type, new KeyGroupEncryptedResources(type, forms));
  }
}

class KeyGroupEncryptedResources implements iam.IEncryptedResourceFactory {
  constructor(private readonly type: string, private readonly forms: () => KeyForms) {}

  public forResource(resource: CfnResource): iam.IEncryptedResource {
    return {
      env: resource.env,
      grantOnKey: (grantee: iam.IGrantable, ...actions: string[]): iam.GrantOnKeyResult => {
        const key = this.keyGroupOf(resource);
        if (key) return { grant: key.grant(grantee, ...actions) };
        return defaultTrait(this.type, resource)?.grantOnKey(grantee, ...actions) ?? {};
      },
    };
  }

  /** The key group in the resource's key setting (the alias, not a pinned generation). */
  private keyGroupOf(resource: CfnResource) {
    const properties = renderedProperties(resource);
    if (!properties) return undefined;
    return keyReferencesIn(properties, this.forms(), resource)
      .find((ref) => ref.kind === 'alias' && keyFieldOf(this.type, ref.property) !== undefined)?.key;
  }
}

/** What aws-cdk-lib does without these traits: its default trait, or the error it raises when the flag is off. */
function defaultTrait(type: string, resource: CfnResource): iam.IEncryptedResource | undefined {
  if (!FeatureFlags.of(resource).isEnabled(cxapi.AUTOMATIC_L1_TRAITS)) {
    throw new Error(`Couldn't find trait for ${resource}, install one explicitly or enable the feature flag '${cxapi.AUTOMATIC_L1_TRAITS}'`);
  }
  return iam.DefaultEncryptedResourceFactories.get(type)?.forResource(resource);
}
