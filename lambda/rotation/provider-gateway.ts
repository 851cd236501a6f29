/**
 * The group's material provider function (KeyMaterialSource.fromFunction),
 * invoked synchronously through Lambda's Invoke API. Every way the call can
 * fail becomes a MaterialProviderError naming the function and the problem;
 * the call is bounded by a time-out that also leaves the function time to
 * record the failure.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { errorName, MaterialProviderError } from './errors';
import { lambdaSdk } from './lambda-sdk';
import { parseProviderAnswer, ProviderAnswer, ProviderRequest } from './provider-contract';

/** The longest a provider may take unless the function has less time left. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;
/** Time kept back for recording the failure when the function's own time runs out. */
export const PROVIDER_TIME_RESERVE_MS = 20_000;
/** Below this, the provider is not called at all. */
const MIN_PROVIDER_TIME_MS = 1_000;

export class ProviderGateway {
  private made?: LambdaClient;

  /** `client` is made at the first call: groups with generated material never load the Lambda client. */
  constructor(private readonly client: () => LambdaClient, private readonly timeoutMs = DEFAULT_PROVIDER_TIMEOUT_MS) {}

  /** Asks the provider for wrapped material and checks the answer (see provider-contract.ts). */
  async wrappedMaterial(functionArn: string, request: ProviderRequest, expectedLength: number, remainingMs: number): Promise<ProviderAnswer> {
    const available = remainingMs - PROVIDER_TIME_RESERVE_MS;
    if (available < MIN_PROVIDER_TIME_MS) {
      throw new MaterialProviderError(functionArn, `was not called: the function has ${Math.max(0, Math.round(remainingMs / 1000))} s left, too little to wait for it`);
    }
    const limit = Math.min(this.timeoutMs, available);
    const { InvokeCommand } = lambdaSdk();
    const client = this.made ??= this.client();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), limit);
    let answer;
    try {
      answer = await client.send(new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(request)),
      }), { abortSignal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) throw new MaterialProviderError(functionArn, `did not answer within ${limit / 1000} s (time-out)`);
      throw new MaterialProviderError(functionArn, `could not be invoked: ${errorName(e)}: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
    const payload = Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8');
    if (answer.FunctionError) {
      throw new MaterialProviderError(functionArn, `failed (FunctionError ${answer.FunctionError}): ${describeFunctionError(payload)}`);
    }
    try {
      return parseProviderAnswer(payload, request, expectedLength);
    } catch (e) {
      throw new MaterialProviderError(functionArn, (e as Error).message);
    }
  }
}

/** Lambda's error payload `{errorType, errorMessage}`, shortened; never the whole payload. */
function describeFunctionError(payload: string): string {
  try {
    const o = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    return `${String(o.errorType ?? 'Error').slice(0, 80)}: ${String(o.errorMessage ?? '').slice(0, 300)}`;
  } catch {
    return 'no error details';
  }
}
