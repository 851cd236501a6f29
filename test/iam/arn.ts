/** ARN parsing and the ARN condition operators' segment-wise matching. */
import { wildcardMatch } from './wildcard';

export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the fifth colon; may itself contain colons. */
  readonly resource: string;
}

function segments(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

export function parseArn(arn: string): Arn | undefined {
  const s = segments(arn);
  if (!s) return undefined;
  return { partition: s[1], service: s[2], region: s[3], account: s[4], resource: s[5] };
}

/**
 * ArnEquals / ArnLike (IAM treats the two alike): "each of the six
 * colon-delimited components of the ARN is checked separately", so a `*` never
 * spans a colon outside the resource part. A pattern that does not start with
 * 'arn:' (e.g. a bare '*') is matched against the whole value.
 */
export function arnLike(pattern: string, value: string): boolean {
  if (!pattern.startsWith('arn:')) return wildcardMatch(pattern, value);
  const p = segments(pattern);
  const v = segments(value);
  return p !== undefined && v !== undefined && p.every((segment, i) => wildcardMatch(segment, v[i]));
}
