import * as fs from 'fs';
import * as path from 'path';

/**
 * Path of the Node.js 24 binary that the `node` devDependency ships: the
 * functions' runtime (nodejs24.x), for running the shipped bundle under it
 * whatever Node.js runs the tests.
 */
export function node24Binary(): string {
  const binary = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  if (!fs.existsSync(binary)) {
    throw new Error(`no Node.js 24 binary at ${binary}: the node package installs it in its preinstall script; run npm ci`);
  }
  return binary;
}
