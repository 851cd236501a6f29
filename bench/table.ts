/**
 * Renders rows of cells as an aligned plain-text table or as a markdown table.
 */

export type Row = readonly string[];

function widths(header: Row, rows: readonly Row[]): number[] {
  return header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
}

function pad(cell: string, width: number): string {
  return cell + ' '.repeat(Math.max(0, width - [...cell].length));
}

/** Columns separated by ` │ `, a rule under the header; a row of one empty cell is a separator rule. */
export function renderText(header: Row, rows: readonly Row[]): string {
  const w = widths(header, rows);
  const line = (r: Row) => w.map((width, i) => pad(r[i] ?? '', width)).join(' │ ').trimEnd();
  const rule = w.map((width) => '─'.repeat(width)).join('─┼─');
  return [line(header), rule, ...rows.map((r) => (r.length === 1 && r[0] === '' ? rule : line(r)))].join('\n');
}

export function renderMarkdown(header: Row, rows: readonly Row[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (r: Row) => `| ${header.map((_, i) => escape(r[i] ?? '')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.filter((r) => !(r.length === 1 && r[0] === '')).map(line)].join('\n');
}
