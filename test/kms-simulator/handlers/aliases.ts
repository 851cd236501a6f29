/**
 * CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
 */
import { notFound, SimError, validation } from '../errors';
import type { Input } from '../input';
import { paginate } from '../paging';
import { Handler, HandlerContext, Output, readLimit } from './types';

const ALIAS_RE = /^alias\/[a-zA-Z0-9/_-]+$/;
const MAX_ALIAS_LENGTH = 256;

const invalidAliasName = (message: string): SimError => new SimError('InvalidAliasNameException', message);

/**
 * Validates an alias name:
 * - longer than 256 characters or missing the `alias/` prefix: ValidationException;
 * - characters outside [a-zA-Z0-9/_-] or the reserved `alias/aws/` prefix: InvalidAliasNameException.
 */
export function checkAliasName(name: string): void {
  if (name.length > MAX_ALIAS_LENGTH) {
    throw validation(`1 validation error detected: Value '${name.slice(0, 64)}...' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ALIAS_LENGTH}`);
  }
  if (!name.startsWith('alias/')) {
    throw validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  }
  if (name.startsWith('alias/aws/')) {
    throw invalidAliasName(`Alias ${name} uses the reserved prefix alias/aws/, which is reserved for AWS managed keys.`);
  }
  if (!ALIAS_RE.test(name)) {
    throw invalidAliasName(`Alias ${name} contains invalid characters; use only alphanumerics, '/', '_' and '-'.`);
  }
}

const createAlias: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const name = input.requiredString('AliasName', { max: 1024 });
  const targetKeyId = input.requiredString('TargetKeyId', { max: 2048 });
  checkAliasName(name);
  if (store.aliases.has(name)) {
    throw new SimError('AlreadyExistsException', `An alias with the name ${store.aliasArn(name)} already exists`);
  }
  const key = store.resolveKey(targetKeyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  store.setAlias(name, key.id);
  return {};
};

const updateAlias: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const name = input.requiredString('AliasName', { max: 1024 });
  const targetKeyId = input.requiredString('TargetKeyId', { max: 2048 });
  checkAliasName(name);
  const alias = store.aliases.get(name);
  if (!alias) {
    throw notFound(`Alias ${store.aliasArn(name)} is not found.`);
  }
  const key = store.resolveKey(targetKeyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  const previous = store.keys.get(alias.targetKeyId);
  if (previous && (previous.keySpec !== key.keySpec || previous.keyUsage !== key.keyUsage)) {
    throw validation(`${key.arn} has a different key spec or key usage than the KMS key currently associated with ${name}.`);
  }
  store.setAlias(name, key.id);
  return {};
};

const deleteAlias: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const name = input.requiredString('AliasName', { max: 1024 });
  checkAliasName(name);
  if (!store.removeAlias(name)) {
    throw notFound(`Alias ${store.aliasArn(name)} is not found.`);
  }
  return {};
};

const listAliases: Handler = ({ store, view }: HandlerContext, input: Input): Output => {
  const keyId = input.optionalString('KeyId', { max: 2048 });
  const limit = readLimit(input, { max: 100, default: 50 });
  const marker = input.optionalString('Marker', { max: 1024 });
  const key = keyId !== undefined ? store.resolveKey(keyId, { allowAlias: false, view }) : undefined;
  const aliases = store.aliasSnapshots(view).filter((a) => key === undefined || a.TargetKeyId === key.id);
  const page = paginate(aliases, (a) => a.AliasName, limit, marker);
  return {
    Aliases: page.items.map((a) => ({
      AliasName: a.AliasName,
      AliasArn: store.aliasArn(a.AliasName),
      TargetKeyId: a.TargetKeyId,
      CreationDate: a.CreationDate,
      LastUpdatedDate: a.LastUpdatedDate,
    })),
    Truncated: page.truncated,
    NextMarker: page.nextMarker,
  };
};

export const aliasHandlers: Record<string, Handler> = {
  CreateAlias: createAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: listAliases,
};
