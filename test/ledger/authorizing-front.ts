/**
 * An authorizing front for dynalite, which checks no permissions: an HTTP
 * proxy on 127.0.0.1 that takes each request's SigV4 access key id as a
 * principal (ARN and identity policies), authorizes every (action, resource)
 * the request needs with the IAM evaluator of test/iam against those policies
 * and the table's resource policy, and either answers as DynamoDB does when
 * it refuses (400 AccessDeniedException, AWS's message) or forwards the
 * request untouched.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { authorizationAsks, TableArns, UnmodelledOperationError, type AuthorizationAsk } from './dynamodb-requests';
import type { PolicyDocument } from '../iam';
import { authorizeDynamoDb } from '../iam/dynamodb-authorize';

/** A principal as the KMS simulator's authorization takes it (test/rotation/deployed-stack.ts's StackPrincipal fits). */
export interface DynamoDbPrincipal {
  readonly accessKeyId: string;
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

export interface DynamoDbAuthorization {
  readonly principals: readonly DynamoDbPrincipal[];
  /** Resource-based policies by table name (as synthesized: test/construct/synthesized-policies.ts's ledgerResourcePolicy). */
  readonly tablePolicies?: Readonly<Record<string, PolicyDocument>>;
  /** @default '111122223333' (the synthesized templates' test account) */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/** One authorization decision, for the tests' assertions. */
export interface DynamoDbDecision {
  readonly principal: string;
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly reason: string;
}

const JSON_10 = 'application/x-amz-json-1.0';

export class AuthorizingFront {
  static async start(target: string, authorization: DynamoDbAuthorization, adminAccessKeyId: string): Promise<AuthorizingFront> {
    const front = new AuthorizingFront(new URL(target), authorization, adminAccessKeyId);
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', () => resolve()));
    return front;
  }

  /** Every decision on a request of a principal (the admin's requests are not authorized, nor recorded). */
  readonly decisions: DynamoDbDecision[] = [];
  private readonly server: http.Server;
  private readonly arns: TableArns;
  private readonly account: string;
  private readonly tablePolicies = new Map<string, PolicyDocument>();

  private constructor(
    private readonly target: URL,
    private readonly authorization: DynamoDbAuthorization,
    private readonly adminAccessKeyId: string,
  ) {
    this.account = authorization.account ?? '111122223333';
    this.arns = new TableArns('aws', authorization.region ?? 'us-east-1', this.account);
    for (const [table, policy] of Object.entries(authorization.tablePolicies ?? {})) this.tablePolicies.set(table, policy);
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Attaches (or replaces) a table's resource-based policy, as PutResourcePolicy would. */
  putTablePolicy(tableName: string, policy: PolicyDocument): void {
    this.tablePolicies.set(tableName, policy);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
    if (accessKeyId !== this.adminAccessKeyId) {
      const refusal = this.refusal(accessKeyId, String(req.headers['x-amz-target'] ?? ''), body);
      if (refusal) {
        res.writeHead(400, { 'content-type': JSON_10, 'x-amzn-requestid': `front-${this.decisions.length}` });
        res.end(JSON.stringify(refusal));
        return;
      }
    }
    this.forward(req, body, res);
  }

  /** The error body DynamoDB would answer with, or undefined when every ask is allowed. */
  private refusal(accessKeyId: string | undefined, target: string, body: Buffer): Record<string, string> | undefined {
    const principal = this.authorization.principals.find((p) => p.accessKeyId === accessKeyId);
    if (!principal) {
      return { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    }
    const operation = target.split('.').pop() ?? '';
    let asks: AuthorizationAsk[];
    try {
      asks = authorizationAsks(operation, JSON.parse(body.toString() || '{}'), this.arns);
    } catch (e) {
      // A request the front cannot read is refused, never forwarded unauthorized.
      if (!(e instanceof UnmodelledOperationError)) throw e;
      return { __type: 'com.amazon.coral.validate#ValidationException', message: e.message };
    }
    for (const ask of asks) {
      const decision = authorizeDynamoDb({
        principalArn: principal.arn,
        principalAccount: this.account,
        action: ask.action,
        resource: ask.resource,
        context: { 'aws:PrincipalArn': principal.arn, 'aws:PrincipalAccount': this.account },
        identityPolicies: principal.policies,
        tablePolicy: this.tablePolicies.get(tableNameOf(ask.resource)),
      });
      this.decisions.push({ principal: principal.arn, operation, ...ask, ...decision });
      if (!decision.allowed) return { __type: 'com.amazon.coral.service#AccessDeniedException', Message: decision.reason };
    }
    return undefined;
  }

  private forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const upstream = http.request({
      host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    upstream.end(body);
  }
}

/** `arn:...:table/NAME` or `arn:...:table/NAME/index/I` -> NAME. */
function tableNameOf(resource: string): string {
  return /:table\/([^/]+)/.exec(resource)?.[1] ?? '';
}
