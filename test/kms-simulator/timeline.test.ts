import { Timeline } from './timeline';

test('versions: unchanged content adds none; versionAt picks the one in force; times never go backwards', () => {
  const t = new Timeline<string>();
  expect(t.record(100, 'a', 'a')).toBe(true);
  expect(t.record(150, 'a', 'a')).toBe(false);
  expect(t.record(200, 'b', 'b')).toBe(true);
  expect(t.record(50, undefined, 'gone')).toBe(true);
  expect(t.valueAt(99)).toBeUndefined();
  expect(t.valueAt(100)).toBe('a');
  expect(t.valueAt(199)).toBe('a');
  expect(t.versionAt(200)).toMatchObject({ at: 200, fingerprint: 'gone' });
  expect(t.first()?.value).toBe('a');
});

test('settle: only the latest version remains, holding since the beginning of time', () => {
  const t = new Timeline<string>();
  t.record(100, 'a', 'a');
  t.record(200, 'b', 'b');
  t.settle();
  expect(t.valueAt(-1e15)).toBe('b');
  expect(t.first()?.value).toBe('b');
});
