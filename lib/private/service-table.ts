// What each service does with a key setting when the alias moves, per
// CloudFormation resource type and property. The key-usage checks act on it,
// and README "Which AWS services follow the alias" documents it with its
// sources (a test keeps both in step).

/** What a service does with the key it is given. */
export enum KeyBehaviour {
  /** Resolves the alias at each use (or each data key): new data uses the new generation. */
  FOLLOWS_ALIAS = 'follows the alias',
  /** Resolves the alias once, when the resource is created or updated, and keeps that key ARN. */
  RESOLVED_ONCE = 'resolves the alias once',
  /** Takes a key ARN only. */
  KEY_ARN_REQUIRED = 'needs a key ARN',
}

/** One key setting of one resource type. */
export interface ServiceKeyField {
  /** CloudFormation resource type. */
  readonly type: string;
  /** Property path as CloudFormation names it; `*` for any list index. */
  readonly property: string;
  /** The service, as people name it. */
  readonly service: string;
  readonly behaviour: KeyBehaviour;
  /** For services that resolve the alias once: how to re-point the resource after a rotation. */
  readonly repoint?: string;
}

const F = KeyBehaviour.FOLLOWS_ALIAS;
const O = KeyBehaviour.RESOLVED_ONCE;
const A = KeyBehaviour.KEY_ARN_REQUIRED;

export const SERVICE_KEY_FIELDS: ServiceKeyField[] = [
  { type: 'AWS::S3::Bucket', property: 'BucketEncryption.ServerSideEncryptionConfiguration.*.ServerSideEncryptionByDefault.KMSMasterKeyID', service: 'S3 default encryption', behaviour: F },
  { type: 'AWS::S3::Bucket', property: 'ReplicationConfiguration.Rules.*.Destination.EncryptionConfiguration.ReplicaKmsKeyID', service: 'S3 replication', behaviour: F },
  { type: 'AWS::SQS::Queue', property: 'KmsMasterKeyId', service: 'SQS', behaviour: F },
  { type: 'AWS::SNS::Topic', property: 'KmsMasterKeyId', service: 'SNS', behaviour: F },
  { type: 'AWS::SecretsManager::Secret', property: 'KmsKeyId', service: 'Secrets Manager', behaviour: F },
  { type: 'AWS::Kinesis::Stream', property: 'StreamEncryption.KeyId', service: 'Kinesis Data Streams', behaviour: F },
  { type: 'AWS::StepFunctions::StateMachine', property: 'EncryptionConfiguration.KmsKeyId', service: 'Step Functions', behaviour: F },
  { type: 'AWS::Events::EventBus', property: 'KmsKeyIdentifier', service: 'EventBridge event bus', behaviour: F },
  { type: 'AWS::Events::Archive', property: 'KmsKeyIdentifier', service: 'EventBridge archive', behaviour: F },
  { type: 'AWS::Events::Connection', property: 'KmsKeyIdentifier', service: 'EventBridge connection', behaviour: F },

  { type: 'AWS::DynamoDB::Table', property: 'SSESpecification.KMSMasterKeyId', service: 'DynamoDB', behaviour: O, repoint: 'UpdateTable with the new generation after each rotation' },
  { type: 'AWS::DynamoDB::GlobalTable', property: 'Replicas.*.SSESpecification.KMSMasterKeyId', service: 'DynamoDB (TableV2)', behaviour: O, repoint: 'UpdateTable with the new generation after each rotation' },
  { type: 'AWS::EC2::Volume', property: 'KmsKeyId', service: 'EBS', behaviour: O, repoint: 'a new volume from a snapshot copied under the new generation' },
  { type: 'AWS::EC2::Instance', property: 'BlockDeviceMappings.*.Ebs.KmsKeyId', service: 'EBS', behaviour: O, repoint: 'new volumes from snapshots copied under the new generation' },
  { type: 'AWS::EC2::LaunchTemplate', property: 'LaunchTemplateData.BlockDeviceMappings.*.Ebs.KmsKeyId', service: 'EBS', behaviour: O, repoint: 'new instances get the generation current when the template is updated' },
  { type: 'AWS::RDS::DBInstance', property: 'KmsKeyId', service: 'RDS storage', behaviour: O, repoint: 'a snapshot copied under the new generation and restored' },
  { type: 'AWS::RDS::DBInstance', property: 'PerformanceInsightsKMSKeyId', service: 'RDS Performance Insights', behaviour: O, repoint: 'not possible once set' },
  { type: 'AWS::RDS::DBCluster', property: 'KmsKeyId', service: 'Aurora storage', behaviour: O, repoint: 'a snapshot copied under the new generation and restored' },
  { type: 'AWS::RDS::DBCluster', property: 'PerformanceInsightsKmsKeyId', service: 'RDS Performance Insights', behaviour: O, repoint: 'not possible once set' },
  { type: 'AWS::EFS::FileSystem', property: 'KmsKeyId', service: 'EFS', behaviour: O, repoint: 'a new file system (the key of a file system cannot change)' },
  { type: 'AWS::CloudTrail::Trail', property: 'KMSKeyId', service: 'CloudTrail', behaviour: O, repoint: 'UpdateTrail with the new generation after each rotation' },
  { type: 'AWS::ECR::Repository', property: 'EncryptionConfiguration.KmsKey', service: 'ECR', behaviour: O, repoint: 'a new repository (its encryption cannot change)' },
  { type: 'AWS::SageMaker::NotebookInstance', property: 'KmsKeyId', service: 'SageMaker', behaviour: O, repoint: 'a new notebook instance' },
  { type: 'AWS::Redshift::Cluster', property: 'KmsKeyId', service: 'Redshift', behaviour: O, repoint: 'ModifyCluster with the new generation after each rotation' },
  { type: 'AWS::OpenSearchService::Domain', property: 'EncryptionAtRestOptions.KmsKeyId', service: 'OpenSearch', behaviour: O, repoint: 'a new domain (its key cannot change)' },
  { type: 'AWS::ElastiCache::ReplicationGroup', property: 'KmsKeyId', service: 'ElastiCache', behaviour: O, repoint: 'a new replication group' },

  { type: 'AWS::Logs::LogGroup', property: 'KmsKeyId', service: 'CloudWatch Logs', behaviour: A },
  { type: 'AWS::Lambda::Function', property: 'KmsKeyArn', service: 'Lambda (environment encryption)', behaviour: A },
  { type: 'AWS::Scheduler::Schedule', property: 'KmsKeyArn', service: 'EventBridge Scheduler', behaviour: A },
  { type: 'AWS::Backup::BackupVault', property: 'EncryptionKeyArn', service: 'AWS Backup', behaviour: A },
];

/** The entry for a property path of a resource type (case-insensitive, list indices as `*`). */
export function keyFieldOf(type: string, propertyPath: string): ServiceKeyField | undefined {
  const wanted = propertyPath.toLowerCase();
  return SERVICE_KEY_FIELDS.find((f) => f.type === type && f.property.toLowerCase() === wanted);
}

/** Parts of a resource that hold data or permissions, not a key setting. */
const NOT_KEY_SETTINGS = new Set(['tags', 'environment', 'variables', 'policydocument', 'condition']);

/**
 * Whether a property of a resource type the table does not know looks like a
 * key setting (its name mentions KMS or ends in KeyId / KeyArn / Key), outside
 * environment variables, tags and policies.
 */
export function looksLikeKeyField(propertyPath: string): boolean {
  const segments = propertyPath.toLowerCase().split('.');
  if (segments.some((s) => NOT_KEY_SETTINGS.has(s))) return false;
  const last = segments[segments.length - 1];
  return /kms|key(id|arn)$|encryptionkey|masterkey/.test(last);
}
