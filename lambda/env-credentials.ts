/**
 * Stands in for `@aws-sdk/credential-provider-node` in the bundle (esbuild alias,
 * see .projenrc.ts). Lambda always hands the function its role's credentials in
 * the environment, so the default chain's other providers (SSO, INI files,
 * process, instance metadata, STS web identity) are dead weight: about a third
 * of the bundle, compiled on every cold start.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (): ReturnType<typeof fromEnv> => fromEnv();
