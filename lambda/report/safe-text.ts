/**
 * Neutralizes strings for the report's text outputs. Most of what the report
 * prints comes from the ledger (descriptions, escrow locations, material ids,
 * findings that quote them), and anyone who may write the table may have put
 * terminal escapes, spreadsheet formulas or Markdown links there. Pure.
 */

/**
 * C0, DEL, C1, the bidi marks, embeddings, overrides and isolates (the
 * "Trojan Source" set, CVE-2021-42574) and the Unicode line and paragraph
 * separators: characters that move the cursor, recolour or clear a terminal,
 * reorder what a reader sees, or break a line where the format has none.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Each control, bidi or separator character as a visible `\uXXXX` (lower-case hex), e.g. ESC as `\u001b`. */
export function visibleControls(text: string): string {
  return text.replace(INVISIBLE, unicodeEscape);
}

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Whether the text holds a character {@link visibleControls} replaces. */
export function hasInvisible(text: string): boolean {
  return new RegExp(INVISIBLE.source).test(text);
}

/**
 * A spreadsheet reads a cell starting with one of these as a formula (OWASP,
 * "CSV Injection"); the full-width forms are the ones some spreadsheets
 * normalize to their ASCII counterparts.
 */
const FORMULA_START = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/**
 * A CSV cell: a leading formula character is preceded by a single quote, as
 * OWASP advises, then controls are made visible. RFC 4180 quoting is the CSV
 * writer's.
 */
export function csvCell(text: string): string {
  return visibleControls(FORMULA_START.test(text) ? `'${text}` : text);
}

/**
 * ASCII punctuation that starts Markdown syntax able to break out of a cell
 * or inject: table cell borders, code spans, links and images, autolinks and
 * raw HTML, entities (which could spell a bidi override), and the backslash
 * itself. CommonMark renders any backslash-escaped ASCII punctuation as the
 * character, so the text reads the same. Emphasis (`*`, `_`) only styles
 * text and `_` is common in identifiers (S3 version ids): left as it is.
 */
const MARKDOWN_INLINE = /[\\`|[\]<>&]/g;

/**
 * Text inside a Markdown table cell: controls made visible (a line break
 * would end the row), then the characters above backslash-escaped. A GFM
 * table cell holds inline content only, so block markers at its start (`-`,
 * `1.`) are literal there.
 */
export function markdownCell(text: string): string {
  return visibleControls(text).replace(MARKDOWN_INLINE, (c) => `\\${c}`);
}

/**
 * Text that starts a Markdown block (a paragraph, a heading's text, a list
 * item's text): a {@link markdownCell} whose leading list marker, setext
 * underline, ordered-list number or indentation is neutralized too, so it
 * cannot open a nested list, heading or code block.
 */
export function markdownLine(text: string): string {
  const inline = markdownCell(text);
  const indent = /^ +/.exec(inline)?.[0].length ?? 0;
  const rest = inline.slice(indent);
  // Bullets and thematic breaks (-, +, *, _), setext underlines (=), ATX headings (#), fences (~); ` > < are escaped already.
  const marker = /^[-+*_=#~]/.test(rest) ? `\\${rest}` : rest.replace(/^(\d+)([.)])/, '$1\\$2');
  return '&#32;'.repeat(indent) + marker;
}

/** What JSON.stringify leaves raw: it escapes C0 only. */
const INVISIBLE_ABOVE_C0 = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON of `value`, exact: it parses back to the same strings. DEL, C1, bidi
 * and separator characters, which JSON.stringify writes raw, are written as
 * `\uXXXX` escapes (they can only occur inside strings), so the output shown
 * in a terminal cannot reorder or control it either.
 */
export function exactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(INVISIBLE_ABOVE_C0, unicodeEscape);
}
