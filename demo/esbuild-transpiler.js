// A ts-node transpiler (`ts-node --transpiler ./demo/esbuild-transpiler.js`): esbuild's
// TypeScript transform, per file, no type-checking (`tsc --noEmit` does that in the test
// task). The demo loads a few hundred TypeScript files (the construct, the simulator, the
// helpers of test/); TypeScript's own transpileModule spends most of the demo's start-up on them.
'use strict';
const { transformSync } = require('esbuild');

exports.create = () => ({
  transpile(input, { fileName }) {
    const { code, map } = transformSync(input, {
      loader: fileName.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: fileName,
    });
    return { outputText: code, sourceMapText: map };
  },
});
