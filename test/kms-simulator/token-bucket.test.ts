import { TokenBucket } from './token-bucket';

test('a bucket holds one second of requests and refills at its rate', () => {
  const bucket = new TokenBucket(2, 0);
  expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
  expect(bucket.take(499)).toBe(false);
  expect(bucket.take(500)).toBe(true);
  expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
});

test('a rate below 1/s still admits one request, then one per 1/rate seconds', () => {
  const bucket = new TokenBucket(0.25, 0);
  expect([bucket.take(0), bucket.take(3999), bucket.take(4000)]).toEqual([true, false, true]);
});
