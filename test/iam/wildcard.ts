/**
 * IAM's wildcard matching: `*` matches any run of characters (also none), `?`
 * exactly one; every other character is literal.
 */
export function wildcardMatch(pattern: string, value: string, options: { readonly ignoreCase?: boolean } = {}): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, options.ignoreCase ? 'is' : 's').test(value);
}
