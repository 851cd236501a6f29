/**
 * Lambda's Invoke API (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`)
 * on loopback, so the real `@aws-sdk/client-lambda` (the operators' CLI) can
 * invoke an entry point in this process. Each caller is authorized by its
 * access key id against the identity policies the stack synthesized for it
 * (lambda:InvokeFunction on the function's ARN), as IAM would.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { evaluateIdentityPolicies, PolicyDocument } from '../iam';

export interface InvocableFunction {
  readonly name: string;
  readonly arn: string;
  readonly invoke: (event: unknown) => Promise<unknown>;
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

export class LambdaEndpoint {
  static async start(functions: InvocableFunction[], callers: Caller[]): Promise<LambdaEndpoint> {
    const endpoint = new LambdaEndpoint(functions, callers);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  readonly invocations: Invocation[] = [];
  private readonly server: Server;

  private constructor(private readonly functions: InvocableFunction[], private readonly callers: Caller[]) {
    this.server = createServer((req, res) => void this.handle(req, res));
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
    const allowed = caller !== undefined && evaluateIdentityPolicies(caller.policies, {
      principalArn: caller.arn, principalAccount: caller.arn.split(':')[4], action: 'lambda:InvokeFunction', resource: fn.arn, context: {},
    }).decision === 'Allow';
    const event = body === '' ? {} : JSON.parse(body);
    this.invocations.push({ function: fn.name, caller: caller?.arn ?? accessKeyId, allowed, event });
    if (!allowed) {
      reply(403, { Type: 'User', message: `User: ${caller?.arn ?? accessKeyId} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn}` },
        { 'x-amzn-errortype': 'AccessDeniedException' });
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
