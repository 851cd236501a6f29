/**
 * Lambda's Invoke API (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`)
 * on loopback, so the real `@aws-sdk/client-lambda` (the operators' CLI) can
 * invoke an entry point in this process. Each caller is identified by its access
 * key id and authorized for lambda:InvokeFunction on the function's ARN with the
 * identity policies the stack synthesized for it and the function's resource-based
 * policy (what `AWS::Lambda::Permission` / AddPermission or `AWS::Lambda::ResourcePolicy`
 * give it), by the general rule of test/iam/authorize-request.ts: within the account
 * either policy may allow, an explicit Deny in either wins; a caller of another
 * account needs both. Condition keys: aws:PrincipalArn, aws:PrincipalAccount.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { authorizeRequest, evaluateResourcePolicy, PolicyDocument } from '../iam';

export interface InvocableFunction {
  readonly name: string;
  readonly arn: string;
  readonly invoke: (event: unknown) => Promise<unknown>;
  /** The function's resource-based policy. Default: none (only identity policies can allow). */
  readonly resourcePolicy?: PolicyDocument;
}

export interface Caller {
  readonly accessKeyId: string;
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

export interface Invocation {
  readonly function: string;
  readonly caller: string;
  readonly allowed: boolean;
  readonly event: unknown;
}

/** A function's answer sent as it is, not as JSON (a provider that answers something that is not JSON). */
export class RawPayload {
  constructor(readonly text: string) {}
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

const accountOf = (arn: string): string => arn.split(':')[4];

export class LambdaEndpoint {
  static async start(functions: InvocableFunction[], callers: Caller[]): Promise<LambdaEndpoint> {
    const endpoint = new LambdaEndpoint(functions, callers);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  readonly invocations: Invocation[] = [];
  private readonly server: Server;
  private readonly resourcePolicies = new Map<string, PolicyDocument>();

  private constructor(private readonly functions: InvocableFunction[], private readonly callers: Caller[]) {
    this.server = createServer((req, res) => void this.handle(req, res));
    for (const fn of functions) {
      if (fn.resourcePolicy) this.setResourcePolicy(fn.name, fn.resourcePolicy);
    }
  }

  /**
   * Registers, replaces (or with undefined removes) the resource-based policy of a function named
   * by name or ARN; it applies from the next request. A policy the evaluator cannot read is refused here.
   */
  setResourcePolicy(functionNameOrArn: string, policy: PolicyDocument | undefined): void {
    const fn = this.functions.find((f) => f.name === functionNameOrArn || f.arn === functionNameOrArn);
    if (!fn) {
      throw new Error(`setResourcePolicy: no function ${functionNameOrArn}`);
    }
    if (policy === undefined) {
      this.resourcePolicies.delete(fn.arn);
      return;
    }
    const copy = JSON.parse(JSON.stringify(policy)) as PolicyDocument;
    evaluateResourcePolicy(copy, { principalArn: fn.arn, principalAccount: accountOf(fn.arn), action: 'lambda:InvokeFunction', resource: fn.arn, context: {} });
    this.resourcePolicies.set(fn.arn, copy);
  }

  /** The resource-based policy of a function, if it has one. */
  resourcePolicy(functionNameOrArn: string): PolicyDocument | undefined {
    const fn = this.functions.find((f) => f.name === functionNameOrArn || f.arn === functionNameOrArn);
    return fn && this.resourcePolicies.get(fn.arn);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c) => { text += c; });
      req.on('end', () => resolve(text));
    });
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const match = PATH.exec(req.url?.split('?')[0] ?? '');
    const wanted = match ? decodeURIComponent(match[1]) : '';
    const fn = this.functions.find((f) => f.name === wanted || f.arn === wanted);
    if (req.method !== 'POST' || !fn) {
      reply(404, { Type: 'User', message: `Function not found: ${wanted}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const caller = this.callers.find((c) => c.accessKeyId === accessKeyId);
    const decision = caller === undefined ? undefined : authorizeRequest({
      principalArn: caller.arn,
      principalAccount: accountOf(caller.arn),
      action: 'lambda:InvokeFunction',
      resource: fn.arn,
      context: { 'aws:PrincipalArn': caller.arn, 'aws:PrincipalAccount': accountOf(caller.arn) },
      identityPolicies: caller.policies,
      resourcePolicy: this.resourcePolicies.get(fn.arn),
    });
    const allowed = decision?.allowed === true;
    const event = body === '' ? {} : JSON.parse(body);
    this.invocations.push({ function: fn.name, caller: caller?.arn ?? accessKeyId, allowed, event });
    if (!allowed) {
      const message = decision?.reason ?? `User: ${accessKeyId} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn}`;
      reply(403, { Type: 'User', message }, { 'x-amzn-errortype': 'AccessDeniedException' });
      return;
    }
    try {
      const result = await fn.invoke(event);
      if (result instanceof RawPayload) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
        res.end(result.text);
        return;
      }
      reply(200, result, { 'x-amz-executed-version': '$LATEST' });
    } catch (e) {
      const err = e as Error;
      reply(200, { errorType: err.name, errorMessage: err.message }, { 'x-amz-function-error': 'Unhandled' });
    }
  }
}
