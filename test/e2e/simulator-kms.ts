/**
 * A `clientProvider` for the AWS Encryption SDK's KMS keyrings that talks to
 * the KMS simulator. The SDK calls `generateDataKey` / `decrypt` on the client
 * (the aggregated `KMS` class of `@aws-sdk/client-kms`, not the bare
 * `KMSClient`), asking for a client per region.
 */
import { cacheClients, getClient, KMS, KmsNodeClientSupplier } from '@aws-crypto/client-node';
import type { KmsSimulator } from '../kms-simulator';
import { SIMULATOR_CREDENTIALS as CREDENTIALS } from '../rotation/harness';

export interface SimulatorClientProvider {
  readonly clientProvider: KmsNodeClientSupplier;
  /** Regions the SDK asked a client for. */
  readonly regions: string[];
  /** Closes every client handed out. */
  destroy(): void;
}

export function simulatorClientProvider(sim: KmsSimulator): SimulatorClientProvider {
  const created: KMS[] = [];
  const regions: string[] = [];
  const base = getClient(KMS, { endpoint: sim.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const clientProvider = cacheClients((region: string) => {
    regions.push(region);
    const client = base(region);
    if (client) created.push(client);
    return client;
  });
  return {
    clientProvider,
    regions,
    destroy() {
      for (const c of created.splice(0)) c.destroy();
    },
  };
}
