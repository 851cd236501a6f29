/**
 * Names the AWS operation on every error a client's calls raise (`operation`,
 * e.g. `dynamodb:PutItem`, as the KMS gateway writes `kms:Encrypt`), for the one ERROR line of a failure. The KMS gateway names
 * its own; this covers the clients whose callers do not.
 */
/** What this needs of an SDK v3 client. */
interface AnyClient {
  readonly middlewareStack: {
    identify(): string[];
    add(middleware: (next: (args: any) => Promise<any>, context: { commandName?: string }) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void;
  };
}

const NAME = 'nameOperationOnError';

export function nameOperations<C extends AnyClient>(client: C, service: string): C {
  // Idempotent: a client shared by both entry points gets it once.
  if (client.middlewareStack.identify().some((m) => m.startsWith(NAME))) return client;
  client.middlewareStack.add(
    (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
      try {
        return await next(args);
      } catch (e) {
        if (typeof e === 'object' && e !== null && !('operation' in e) && context.commandName) {
          Object.assign(e, { operation: `${service}:${context.commandName.replace(/Command$/, '')}` });
        }
        throw e;
      }
    },
    { step: 'initialize', name: NAME },
  );
  return client;
}
