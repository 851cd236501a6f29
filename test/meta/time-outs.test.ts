/**
 * The suite's only time-out is jest's `testTimeout`, a hang guard (see .projenrc.ts): a test or hook with a
 * time-out of its own fails on a saturated machine for no fault of the code it tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const TEST_DIR = path.join(__dirname, '..');

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourcesUnder(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `}, 300_000);` or `}, SOME_TIMEOUT_MS);` closing a test, hook or describe: jest's time-out argument. */
const OWN_TIME_OUT = /^\s*\}\s*,\s*(?:[0-9][0-9_]*|[A-Z][A-Z0-9_]*(?:\s*\*\s*[0-9]+)?)\s*\);?\s*$/;

test('no test or hook sets a time-out of its own', () => {
  const found = sourcesUnder(TEST_DIR).flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => OWN_TIME_OUT.test(line))
    .map(([line, i]) => `${path.relative(TEST_DIR, file)}:${i + 1}: ${line.trim()}`));
  expect(found).toEqual([]);
});

test('the pattern finds a time-out argument and leaves other closings alone', () => {
  expect(['  }, 300_000);', '}, SLOW_RUN_TIMEOUT_MS * 2);', '  }, 120000)'].filter((l) => OWN_TIME_OUT.test(l))).toHaveLength(3);
  expect(['  });', '  }, []);', '}, { seed: 1 });', '  }, done);'].filter((l) => OWN_TIME_OUT.test(l))).toEqual([]);
});
