/**
 * The test's own calls to the simulator and the local DynamoDB, straight on
 * the wire (AWS JSON 1.1 / 1.0 over keep-alive HTTP) instead of through the
 * SDK: the writer's, the reader's and the admin's requests and the checks'
 * ledger scans are a third of a history's calls, and the SDK's per-call work
 * is most of their cost. The simulator identifies the caller by the access key
 * id of the Authorization header (it does not verify signatures), exactly as
 * for the SDK's requests. The functions always use the real SDK clients.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** An error answer, named as the SDK names it (`AccessDeniedException`, …). */
export class WireError extends Error {
  constructor(name: string, message: string, readonly status: number) {
    super(message);
    this.name = name;
  }
}

function post(endpoint: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; json: any }> {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: '/',
      method: 'POST',
      agent,
      headers: { ...headers, 'Content-Length': String(payload.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function authorization(accessKeyId: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;
}

function errorOf(status: number, json: any): WireError {
  const type = String(json?.__type ?? 'UnknownError');
  return new WireError(type.slice(type.lastIndexOf('#') + 1), String(json?.message ?? json?.Message ?? ''), status);
}

/** A KMS client of one principal. */
export class WireKms {
  constructor(private readonly endpoint: string, private readonly accessKeyId: string) {}

  async call<T = any>(op: string, input: Record<string, unknown>): Promise<T> {
    const { status, json } = await post(this.endpoint, {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `TrentService.${op}`,
      'X-Amz-Date': '20260101T000000Z',
      'Authorization': authorization(this.accessKeyId, 'kms'),
    }, input);
    if (status !== 200) throw errorOf(status, json);
    return json as T;
  }

  async encrypt(keyId: string, plaintext: string): Promise<{ ciphertext: Buffer; keyArn: string }> {
    const r = await this.call<{ CiphertextBlob: string; KeyId: string }>('Encrypt', { KeyId: keyId, Plaintext: Buffer.from(plaintext).toString('base64') });
    return { ciphertext: Buffer.from(r.CiphertextBlob, 'base64'), keyArn: r.KeyId };
  }

  async decrypt(ciphertext: Uint8Array): Promise<string> {
    const r = await this.call<{ Plaintext: string }>('Decrypt', { CiphertextBlob: Buffer.from(ciphertext).toString('base64') });
    return Buffer.from(r.Plaintext, 'base64').toString('utf8');
  }
}

/** DynamoDB's attribute values to plain values (what the document client reads). */
export function unmarshall(item: Record<string, any>): Record<string, unknown> {
  const value = (v: Record<string, any>): unknown => {
    if ('S' in v) return v.S;
    if ('N' in v) return Number(v.N);
    if ('BOOL' in v) return v.BOOL;
    if ('NULL' in v) return null;
    if ('M' in v) return unmarshall(v.M);
    if ('L' in v) return (v.L as Record<string, any>[]).map(value);
    if ('SS' in v) return new Set(v.SS);
    if ('NS' in v) return new Set((v.NS as string[]).map(Number));
    if ('B' in v) return Buffer.from(v.B, 'base64');
    if ('BS' in v) return new Set((v.BS as string[]).map((b) => Buffer.from(b, 'base64')));
    throw new Error(`unknown attribute value ${JSON.stringify(v)}`);
  };
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, value(v)]));
}

/** The local DynamoDB, for the test's own table management and scans. */
export class WireDynamoDb {
  constructor(private readonly endpoint: string) {}

  async call<T = any>(op: string, input: Record<string, unknown>): Promise<T> {
    const { status, json } = await post(this.endpoint, {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${op}`,
      'X-Amz-Date': '20260101T000000Z',
      'Authorization': authorization('AKIDMODELCHECKS', 'dynamodb'),
    }, input);
    if (status !== 200) throw errorOf(status, json);
    return json as T;
  }

  /** Every item of a table, strongly consistent, unmarshalled. */
  async scan(tableName: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.call<{ Items?: Record<string, any>[]; LastEvaluatedKey?: Record<string, unknown> }>('Scan', {
        TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}),
      });
      items.push(...(r.Items ?? []).map(unmarshall));
      start = r.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

export function closeWire(): void {
  agent.destroy();
}
