/**
 * Renders reports as a terminal table, Markdown, CSV (one row per generation)
 * or JSON. Every text output neutralizes what the ledger may carry
 * (safe-text.ts); JSON is exact. Pure.
 */
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { GenerationReport, GroupReport, reportVerdict, unknownText } from './group-report';
import { csvCell, exactJson, markdownCell, markdownLine, visibleControls } from './safe-text';
import { SealReport } from './seal-findings';

export const REPORT_FORMATS = ['table', 'md', 'csv', 'json'] as const;
export type ReportFormat = typeof REPORT_FORMATS[number];

export function renderReports(reports: readonly GroupReport[], format: ReportFormat): string {
  switch (format) {
    case 'json': return `${exactJson(reports)}\n`;
    case 'csv': return csv(reports);
    case 'md': return reports.map(markdown).join('\n');
    case 'table': return reports.map(table).join('\n');
  }
}

const COLUMNS = ['Gen', 'Stage', 'Key', 'Source', 'Imported', 'Activated', 'Retired', 'Due', 'Rotation', 'Decrypt until', 'Material expires', 'Material id', 'Escrow', 'Last use'];

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '-';
}

function minute(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '-';
}

function row(g: GenerationReport): string[] {
  return [
    String(g.generation),
    g.stage + (g.fencedAt && (g.stage === 'retired' || g.stage === 'retired (exempt)') ? ' (decrypt-only)' : ''),
    g.keyId.slice(0, 8),
    g.source ?? '-',
    day(g.importedAt),
    day(g.activatedAt),
    day(g.retiredAt),
    day(g.dueAt),
    g.rotation,
    day(g.decryptUntil),
    g.materialExpiresAt ? `${day(g.materialExpiresAt)}${g.materialReimport ? ` (${g.materialReimport === 'automatic' ? 'auto' : 'manual'})` : ''}` : 'never',
    g.keyMaterialId ? g.keyMaterialId.slice(0, 12) : '-',
    escrowCell(g),
    lastUseCell(g),
  ];
}

function lastUseCell(g: GenerationReport): string {
  const u = g.lastUsage;
  if (u?.unreadable) return unknownText(u.unreadable);
  return u?.at ? `${day(u.at)} ${u.operation ?? ''}`.trim() : '-';
}

/** `s3://<bucket>/<key>` and its version; `unverified` until it was read back (a rotation under way). */
function escrowCell(g: GenerationReport): string {
  const e = g.escrow;
  if (!e) return '-';
  return `s3://${e.bucket}/${e.key}${e.versionId ? ` (version ${e.versionId})` : ''}${e.verifiedAt ? '' : ' unverified'}`;
}

/** `seals verified`, `seals not checked`, or each seal's status (`ledger seal INVALID, settings seal verified`). */
function sealsText(s: SealReport): string {
  if (s.ledger === 'not checked') return 'seals not checked';
  if (s.ledger === 'verified' && s.settings === 'verified') return 'seals verified';
  const status = (v: string) => (v === 'verified' ? v : v.toUpperCase());
  return `ledger seal ${status(s.ledger)}, settings seal ${status(s.settings)}`;
}

function heading(r: GroupReport): string[] {
  const chain = r.chain.verified ? `verified (${r.chain.events} events)` : 'DOES NOT VERIFY';
  return [
    `Key group ${r.groupId}: ${r.alias}, rotated every ${r.intervalMonths} month(s), ${r.status}`,
    `Current generation ${r.currentGeneration ?? '-'}, next rotation due ${minute(r.nextDueAt)}; event log ${chain}; ${sealsText(r.seals)}; report of ${minute(r.generatedAt)}`,
  ];
}

const MARK = { error: 'ERROR', warning: 'WARNING', info: 'note' } as const;

function verdict(r: GroupReport): string[] {
  const lines = r.findings.map((f) => `${MARK[f.severity]}: ${f.message}`);
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const result = reportVerdict(r);
  const failed = r.unreadable ?? [];
  const results = {
    fail: `Result: FAIL (${errors} error${errors === 1 ? '' : 's'})`,
    incomplete: `Result: INCOMPLETE (${failed.length} read${failed.length === 1 ? '' : 's'} failed: ${[...new Set(failed.map((u) => u.call))].join(', ')}; not a pass)`,
    unverified: 'Result: UNVERIFIED (seals not checked: without the stack\'s seal keys a rewritten ledger entry and event log cannot be told from the real ones)',
    pass: 'Result: PASS',
  };
  lines.push(results[result]);
  return lines;
}

function table(r: GroupReport): string {
  const t = new Table({ head: COLUMNS, style: { head: [], border: [], compact: true } });
  for (const g of r.generations) t.push(row(g).map(visibleControls));
  return [...heading(r).map(visibleControls), t.toString(), ...verdict(r).map(visibleControls)].join('\n') + '\n';
}

function markdown(r: GroupReport): string {
  const [title, summary] = heading(r);
  const lines = [`### ${markdownLine(title)}`, '', markdownLine(summary), ''];
  lines.push(`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`);
  for (const g of r.generations) lines.push(`| ${row(g).map(markdownCell).join(' | ')} |`);
  lines.push('', ...verdict(r).map((l) => `- ${markdownLine(l)}`));
  return lines.join('\n') + '\n';
}

const CSV_COLUMNS = [
  'group', 'alias', 'interval_months', 'group_status', 'chain_verified', 'ledger_seal', 'settings_seal', 'generation', 'key_arn', 'stage', 'kms_state', 'source',
  'created_at', 'imported_at', 'activated_at', 'retired_at', 'fenced_at', 'due_at', 'rotation', 'rotated_at', 'decrypt_until',
  'material_expires_at', 'material_reimport', 'material_reimported_at', 'key_material_id', 'escrow_bucket', 'escrow_key', 'escrow_version_id',
  'escrow_verified_at', 'last_used_at', 'last_used_operation', 'last_used_cloudtrail_event_id', 'group_result',
];

function csv(reports: readonly GroupReport[]): string {
  const rows = reports.flatMap((r) => r.generations.map((g) => [
    r.groupId, r.alias, r.intervalMonths, r.status, r.chain.verified, r.seals.ledger, r.seals.settings, g.generation, g.keyArn, g.stage, g.kmsState ?? '', g.source ?? '',
    g.createdAt, g.importedAt ?? '', g.activatedAt ?? '', g.retiredAt ?? '', g.fencedAt ?? '', g.dueAt ?? '', g.rotation, g.rotatedAt ?? '',
    g.decryptUntil ?? '', g.materialExpiresAt ?? '', g.materialReimport ?? '', g.reimportedAt ?? '', g.keyMaterialId ?? '',
    g.escrow?.bucket ?? '', g.escrow?.key ?? '', g.escrow?.versionId ?? '', g.escrow?.verifiedAt ?? '', g.lastUsage?.unreadable ? lastUseCell(g) : g.lastUsage?.at ?? '', g.lastUsage?.operation ?? '',
    g.lastUsage?.cloudTrailEventId ?? '', reportVerdict(r),
  ]).map((cells) => cells.map((c) => csvCell(String(c)))));
  return stringify(rows, { header: true, columns: CSV_COLUMNS });
}
