/**
 * Operation registry: maps X-Amz-Target operation names to handlers.
 */
import { aliasHandlers } from './aliases';
import { cryptoHandlers } from './crypto-ops';
import { importHandlers } from './import';
import { keyHandlers } from './keys';
import { lifecycleHandlers } from './lifecycle';
import { macHandlers } from './mac';
import { policyHandlers } from './policy';
import { tagHandlers, taggingApiHandlers } from './tags';
import type { Handler } from './types';

export type { Handler, HandlerContext, Output } from './types';

/** Operations of `TrentService` (KMS). */
export const KMS_HANDLERS: Readonly<Record<string, Handler>> = {
  ...keyHandlers,
  ...importHandlers,
  ...cryptoHandlers,
  ...macHandlers,
  ...aliasHandlers,
  ...tagHandlers,
  ...policyHandlers,
  ...lifecycleHandlers,
};

/** Operations of `ResourceGroupsTaggingAPI_20170126`. */
export const TAGGING_HANDLERS: Readonly<Record<string, Handler>> = {
  ...taggingApiHandlers,
};
