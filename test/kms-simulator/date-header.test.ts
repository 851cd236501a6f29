import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { MS_PER_DAY, MS_PER_HOUR } from './clock';
import { KmsSimulator, startKmsSimulator } from './index';

async function dateHeader(sim: KmsSimulator): Promise<number> {
  const res = await fetch(sim.endpoint, {
    method: 'POST',
    headers: { 'X-Amz-Target': 'TrentService.ListKeys', 'Content-Type': 'application/x-amz-json-1.1' },
    body: '{}',
  });
  return Date.parse(res.headers.get('date')!);
}

const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(5000);

test('the Date header is the real time by default and shifted by dateHeaderOffsetMs / setDateHeaderOffset', async () => {
  const plain = await startKmsSimulator();
  const shifted = await startKmsSimulator({ dateHeaderOffsetMs: 2 * MS_PER_HOUR });
  try {
    near(await dateHeader(plain), Date.now());
    near(await dateHeader(shifted), Date.now() + 2 * MS_PER_HOUR);
    shifted.setDateHeaderOffset(-MS_PER_DAY);
    near(await dateHeader(shifted), Date.now() - MS_PER_DAY);
    shifted.setDateHeaderOffset(0);
    near(await dateHeader(shifted), Date.now());
  } finally {
    await plain.stop();
    await shifted.stop();
  }
});

test("with the caller's clock shifted, the SDK retries every error as clock skew unless the header is shifted too", async () => {
  const sim = await startKmsSimulator();
  const shift = 3 * MS_PER_DAY;
  const realNow = Date.now;
  const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + shift);
  try {
    const missing = () => sim.client({ maxAttempts: 3 }).send(new DescribeKeyCommand({ KeyId: 'alias/missing' }));
    await expect(missing()).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(sim.calls.count('DescribeKey')).toBeGreaterThan(1);

    sim.calls.reset();
    sim.setDateHeaderOffset(shift);
    await expect(missing()).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(sim.calls.count('DescribeKey')).toBe(1);
  } finally {
    spy.mockRestore();
    await sim.stop();
  }
});
