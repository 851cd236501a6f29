import { execFileSync } from 'child_process';
import { node24Binary } from './node24';

test('node24Binary() runs Node.js 24', () => {
  const version = execFileSync(node24Binary(), ['--version'], { encoding: 'utf8' }).trim();
  expect(version).toMatch(/^v24\.\d+\.\d+$/);
});
