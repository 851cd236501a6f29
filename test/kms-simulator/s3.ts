/**
 * The part of Amazon S3 that escrow (MaterialEscrow) uses, on a loopback
 * endpoint of its own (path-style REST-XML), so the real `@aws-sdk/client-s3`
 * (with `endpoint` or `AWS_ENDPOINT_URL_S3`) can write and read escrow
 * objects: PutObject, GetObject, HeadObject, PutObjectTagging,
 * GetObjectTagging, DeleteObject, PutObjectRetention and GetObjectRetention.
 *
 * Buckets are made by the test (createBucket), with versioning and Object
 * Lock as their template would set them. Versioning: every PUT of a key makes
 * a new version; a DELETE without a version id adds a delete marker. Object
 * Lock with a default retention: each new version is locked until now +
 * the retention (on the simulated clock); a locked version cannot be deleted
 * (in either mode here: governance bypass is not simulated), and COMPLIANCE
 * retention cannot be shortened or removed. PutObject into a bucket with
 * Object Lock needs an integrity checksum (Content-MD5 or x-amz-checksum-*),
 * as S3 requires. User metadata (x-amz-meta-*) and object tags as S3 keeps
 * them; tags are not protected by Object Lock.
 *
 * Every call is authorized by the caller's access key id against the identity
 * policies the stack synthesized for it (test/iam), with the action S3 checks
 * (s3:GetObjectVersion when a version id is given, and so on) on the object's
 * ARN. A missing object is NoSuchKey only for a caller allowed s3:ListBucket,
 * otherwise AccessDenied, as S3 answers. `failNext` makes the next calls of an
 * operation fail (a test's fault hook).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { evaluateIdentityPolicies, PolicyDocument } from '../iam';

export interface S3Caller {
  readonly accessKeyId: string;
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

export interface BucketOptions {
  readonly versioned?: boolean;
  /** Object Lock with a default retention (implies versioning). */
  readonly objectLock?: { readonly mode: 'COMPLIANCE' | 'GOVERNANCE'; readonly days: number };
}

export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  tags: Record<string, string>;
  retention?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; until: Date };
  readonly deleteMarker: boolean;
  readonly lastModified: Date;
  readonly checksumSha256?: string;
}

interface Bucket {
  readonly name: string;
  readonly options: BucketOptions;
  /** Versions per key, oldest first. */
  readonly objects: Map<string, ObjectVersion[]>;
}

export interface S3Call {
  readonly operation: string;
  readonly action: string;
  readonly caller: string;
  readonly allowed: boolean;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly status: number;
}

interface Fault { readonly operation: string; readonly code: string; readonly status: number; remaining: number }

class S3Error extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export class S3Sim {
  static async start(callers: S3Caller[], now: () => Date, adminAccessKeyIds: string[] = []): Promise<S3Sim> {
    const sim = new S3Sim(callers, now, adminAccessKeyIds);
    await new Promise<void>((resolve) => sim.server.listen(0, '127.0.0.1', resolve));
    return sim;
  }

  readonly calls: S3Call[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly faults: Fault[] = [];
  private readonly server: Server;

  private constructor(private readonly callers: S3Caller[], private readonly now: () => Date, private readonly admins: string[]) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  createBucket(name: string, options: BucketOptions = {}): void {
    this.buckets.set(name, { name, options: { ...options, versioned: options.versioned || options.objectLock !== undefined }, objects: new Map() });
  }

  /** The next `times` calls of `operation` (e.g. 'PutObject') fail with `code`. */
  failNext(operation: string, code = 'InternalError', status = 500, times = 1): void {
    this.faults.push({ operation, code, status, remaining: times });
  }

  /** Every version (and delete marker) of every key of the bucket, oldest first (test-side read). */
  versions(bucket: string): ObjectVersion[] {
    return [...(this.buckets.get(bucket)?.objects.values() ?? [])].flat();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    const versionId = q.get('versionId') ?? undefined;
    const method = req.method ?? 'GET';
    const operation = operationOf(method, q, key);
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const caller = this.callers.find((c) => c.accessKeyId === accessKeyId);
    const action = actionOf(operation, versionId);
    const resource = `arn:aws:s3:::${bucketName}/${key}`;
    const allowed = this.allowed(accessKeyId, caller, action, resource);
    const record = (status: number) => this.calls.push({
      operation, action, caller: caller?.arn ?? accessKeyId, allowed, bucket: bucketName, key, ...(versionId ? { versionId } : {}), status,
    });
    try {
      if (!allowed) throw new S3Error(403, 'AccessDenied', `User: ${caller?.arn ?? accessKeyId} is not authorized to perform: ${action} on resource: "${resource}"`);
      const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
      if (fault) {
        fault.remaining--;
        throw new S3Error(fault.status, fault.code, `injected fault of ${operation}`);
      }
      const bucket = this.buckets.get(bucketName);
      if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      const answer = this.dispatch(operation, bucket, key, versionId, req, raw, accessKeyId, caller);
      record(answer.status);
      res.writeHead(answer.status, answer.headers);
      res.end(method === 'HEAD' ? undefined : answer.body);
    } catch (e) {
      const err = e instanceof S3Error ? e : new S3Error(500, 'InternalError', (e as Error).message);
      record(err.status);
      res.writeHead(err.status, { 'content-type': 'application/xml', 'x-amz-request-id': randomBytes(8).toString('hex') });
      res.end(method === 'HEAD' ? undefined
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message><RequestId>sim</RequestId></Error>`);
    }
  }

  private allowed(accessKeyId: string, caller: S3Caller | undefined, action: string, resource: string): boolean {
    if (this.admins.includes(accessKeyId)) return true;
    return caller !== undefined && evaluateIdentityPolicies(caller.policies, {
      principalArn: caller.arn, principalAccount: caller.arn.split(':')[4], action, resource, context: {},
    }).decision === 'Allow';
  }

  private dispatch(
    operation: string, bucket: Bucket, key: string, versionId: string | undefined, req: IncomingMessage, raw: Buffer,
    accessKeyId: string, caller: S3Caller | undefined,
  ): { status: number; headers: Record<string, string>; body?: Buffer | string } {
    const xml = (body: string, headers: Record<string, string> = {}) => ({
      status: 200, headers: { 'content-type': 'application/xml', ...headers }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    });
    const find = (): ObjectVersion => {
      const versions = bucket.objects.get(key) ?? [];
      const v = versionId ? versions.find((x) => x.versionId === versionId) : versions[versions.length - 1];
      if (!v || (!versionId && v.deleteMarker)) {
        // S3 tells a missing key only to callers that may list the bucket.
        if (this.allowed(accessKeyId, caller, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`)) {
          throw new S3Error(404, versionId ? 'NoSuchVersion' : 'NoSuchKey', 'The specified key does not exist.');
        }
        throw new S3Error(403, 'AccessDenied', 'Access Denied');
      }
      if (v.deleteMarker) throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return v;
    };
    const versionHeader = (v: ObjectVersion): Record<string, string> => (bucket.options.versioned ? { 'x-amz-version-id': v.versionId } : {});
    switch (operation) {
      case 'PutObject': {
        const { body, trailer } = decodeBody(req, raw);
        const checksum = header(req, 'x-amz-checksum-sha256') ?? trailer['x-amz-checksum-sha256'];
        if (checksum !== undefined && checksum !== createHash('sha256').update(body).digest('base64')) {
          throw new S3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
        }
        const anyChecksum = checksum !== undefined || header(req, 'content-md5') !== undefined
          || Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-')) || Object.keys(trailer).some((h) => h.startsWith('x-amz-checksum-'));
        if (bucket.options.objectLock && !anyChecksum) {
          throw new S3Error(400, 'InvalidRequest', 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters');
        }
        const metadata: Record<string, string> = {};
        for (const [h, v] of Object.entries(req.headers)) if (h.startsWith('x-amz-meta-')) metadata[h.slice('x-amz-meta-'.length)] = String(v);
        const now = this.now();
        const lock = bucket.options.objectLock;
        const v: ObjectVersion = {
          key,
          versionId: bucket.options.versioned ? randomBytes(16).toString('base64url') : 'null',
          body,
          contentType: header(req, 'content-type') ?? 'binary/octet-stream',
          metadata,
          tags: {},
          deleteMarker: false,
          lastModified: now,
          ...(lock ? { retention: { mode: lock.mode, until: new Date(now.getTime() + lock.days * 86_400_000) } } : {}),
          ...(checksum ? { checksumSha256: checksum } : {}),
        };
        const versions = bucket.objects.get(key) ?? [];
        bucket.objects.set(key, bucket.options.versioned ? [...versions, v] : [v]);
        return { status: 200, headers: { etag: etag(body), ...versionHeader(v), ...(checksum ? { 'x-amz-checksum-sha256': checksum } : {}) } };
      }
      case 'GetObject':
      case 'HeadObject': {
        const v = find();
        const headers: Record<string, string> = {
          'content-type': v.contentType,
          'content-length': String(v.body.length),
          'etag': etag(v.body),
          'last-modified': v.lastModified.toUTCString(),
          ...versionHeader(v),
          ...Object.fromEntries(Object.entries(v.metadata).map(([k, x]) => [`x-amz-meta-${k}`, x])),
          ...(Object.keys(v.tags).length > 0 ? { 'x-amz-tagging-count': String(Object.keys(v.tags).length) } : {}),
          ...(v.retention ? { 'x-amz-object-lock-mode': v.retention.mode, 'x-amz-object-lock-retain-until-date': v.retention.until.toISOString() } : {}),
          ...(v.checksumSha256 && header(req, 'x-amz-checksum-mode') === 'ENABLED' ? { 'x-amz-checksum-sha256': v.checksumSha256 } : {}),
        };
        return { status: 200, headers, body: v.body };
      }
      case 'PutObjectTagging': {
        const v = find();
        const text = decodeBody(req, raw).body.toString('utf8');
        const tags: Record<string, string> = {};
        for (const m of text.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)) tags[unescapeXml(m[1])] = unescapeXml(m[2]);
        if (Object.keys(tags).length > 10) throw new S3Error(400, 'BadRequest', 'Object tags cannot be greater than 10');
        v.tags = tags;
        return { status: 200, headers: versionHeader(v) };
      }
      case 'GetObjectTagging': {
        const v = find();
        const set = Object.entries(v.tags).map(([k, x]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(x)}</Value></Tag>`).join('');
        return xml(`<Tagging xmlns="${NS}"><TagSet>${set}</TagSet></Tagging>`, versionHeader(v));
      }
      case 'DeleteObject': {
        const versions = bucket.objects.get(key) ?? [];
        if (!versionId) {
          if (!bucket.options.versioned) {
            bucket.objects.delete(key);
            return { status: 204, headers: {} };
          }
          const marker: ObjectVersion = {
            key, versionId: randomBytes(16).toString('base64url'), body: Buffer.alloc(0), contentType: '', metadata: {}, tags: {}, deleteMarker: true, lastModified: this.now(),
          };
          bucket.objects.set(key, [...versions, marker]);
          return { status: 204, headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId } };
        }
        const v = versions.find((x) => x.versionId === versionId);
        if (!v) return { status: 204, headers: {} };
        if (v.retention && v.retention.until > this.now()) throw new S3Error(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
        bucket.objects.set(key, versions.filter((x) => x !== v));
        return { status: 204, headers: { 'x-amz-version-id': versionId } };
      }
      case 'PutObjectRetention': {
        const v = find();
        const text = decodeBody(req, raw).body.toString('utf8');
        const mode = /<Mode>([^<]*)<\/Mode>/.exec(text)?.[1];
        const untilText = /<RetainUntilDate>([^<]*)<\/RetainUntilDate>/.exec(text)?.[1];
        const until = untilText ? new Date(untilText) : undefined;
        if (v.retention?.mode === 'COMPLIANCE' && v.retention.until > this.now()
          && (mode !== 'COMPLIANCE' || !until || until < v.retention.until)) {
          throw new S3Error(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
        }
        if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed');
        v.retention = until ? { mode, until } : undefined;
        return { status: 200, headers: {} };
      }
      case 'GetObjectRetention': {
        const v = find();
        if (!v.retention) throw new S3Error(404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
        return xml(`<Retention xmlns="${NS}"><Mode>${v.retention.mode}</Mode><RetainUntilDate>${v.retention.until.toISOString()}</RetainUntilDate></Retention>`);
      }
      default:
        throw new S3Error(501, 'NotImplemented', `${operation} is not simulated`);
    }
  }
}

function operationOf(method: string, q: URLSearchParams, key: string): string {
  if (key === '') return `Bucket${method}`;
  const sub = q.has('tagging') ? 'Tagging' : q.has('retention') ? 'Retention' : '';
  switch (method) {
    case 'PUT': return `PutObject${sub}`;
    case 'GET': return `GetObject${sub}`;
    case 'HEAD': return 'HeadObject';
    case 'DELETE': return sub === 'Tagging' ? 'DeleteObjectTagging' : 'DeleteObject';
    default: return `${method}Object`;
  }
}

/** The IAM action S3 authorizes an operation as. */
function actionOf(operation: string, versionId: string | undefined): string {
  const v = versionId !== undefined;
  switch (operation) {
    case 'GetObject':
    case 'HeadObject': return v ? 's3:GetObjectVersion' : 's3:GetObject';
    case 'PutObjectTagging': return v ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging';
    case 'GetObjectTagging': return v ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging';
    case 'DeleteObject': return v ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
    case 'GetObjectRetention': return 's3:GetObjectRetention';
    case 'PutObjectRetention': return 's3:PutObjectRetention';
    default: return `s3:${operation}`;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : String(v);
}

/** The payload, decoding aws-chunked (with its trailing checksum headers) when the SDK sent it that way. */
function decodeBody(req: IncomingMessage, raw: Buffer): { body: Buffer; trailer: Record<string, string> } {
  const encoding = header(req, 'content-encoding') ?? '';
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return { body: raw, trailer: {} };
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0], 16);
    at = eol + 2;
    if (size === 0) break;
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
  const trailer: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) trailer[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { body: Buffer.concat(parts), trailer };
}

function etag(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'').replace(/&amp;/g, '&');
}
