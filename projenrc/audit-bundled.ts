import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// The supply-chain audit of what ships. Every package the Lambda and CLI bundles contain is a devDependency
// (esbuild copies it into the asset), so `npm audit --omit=dev` sees none of them. This runs `npm audit --json`
// over the whole tree and keeps the advisories of the packages esbuild put bytes of into a bundle (its metafiles,
// written by `npx projen bundle`), matched by their path in node_modules, so a development tool's copy of the
// same name does not count. High or critical: exit 1. The advisory service unreachable: one SKIPPED line, exit 0.
//
// ts-node projenrc/audit-bundled.ts [metafile ...]   (default: assets/lambda/*.meta.json)

export const FAILING_SEVERITIES: readonly string[] = ['high', 'critical'];

interface Metafile {
  readonly outputs: Record<string, { readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

/** A package directory whose code is in at least one bundle: `node_modules/<name>` or a nested `node_modules/a/node_modules/b`. */
export interface BundledPackage {
  readonly node: string;
  readonly bundles: readonly string[];
  readonly version?: string;
}

/** The package directory of a bundled input, relative to the project (npm audit's `nodes` form); undefined for the project's own files. */
export function nodeOf(input: string): string | undefined {
  const match = /(?:^|\/)(node_modules\/(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** Every package with bytes in a bundle (tree-shaken ones have none), with the bundles that hold it. */
export function bundledPackages(metafiles: ReadonlyArray<{ readonly bundle: string; readonly metafile: Metafile }>): BundledPackage[] {
  const byNode = new Map<string, Set<string>>();
  for (const { bundle, metafile } of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const node = nodeOf(input);
        if (node && bytesInOutput > 0) byNode.set(node, (byNode.get(node) ?? new Set()).add(bundle));
      }
    }
  }
  return [...byNode].map(([node, bundles]) => ({ node, bundles: [...bundles].sort() })).sort((a, b) => a.node.localeCompare(b.node));
}

/** An advisory as `npm audit --json` (auditReportVersion 2) puts it in a vulnerability's `via`. */
interface AuditAdvisory {
  readonly source?: number;
  readonly name: string;
  readonly title?: string;
  readonly url?: string;
  readonly severity: string;
  readonly range?: string;
}

interface AuditReport {
  readonly auditReportVersion: 2;
  readonly vulnerabilities: Record<string, {
    readonly name: string;
    readonly severity: string;
    /** Advisories of this package, or names of vulnerable dependencies it is affected through. */
    readonly via: ReadonlyArray<AuditAdvisory | string>;
    readonly effects?: readonly string[];
    /** The vulnerable copies, by their path in node_modules. */
    readonly nodes: readonly string[];
  }>;
}

export type AuditOutcome =
  | { readonly kind: 'report'; readonly report: AuditReport }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

const NETWORK_ERROR = /\b(ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|socket hang up|network timeout)\b/;
/** A registry (or mirror) that does not serve the bulk advisory endpoint answers one of these. */
const NOT_SERVED = [404, 405, 501];
/** Busy or rate-limited: transient, like a 5xx. */
const TRANSIENT = [408, 429];

/** What `npm audit --json` said: a report, an advisory service that could not be reached, or another failure. */
export function classifyAudit(stdout: string, stderr: string): AuditOutcome {
  let out: Record<string, unknown> | undefined;
  try {
    out = JSON.parse(stdout);
  } catch {
    out = undefined;
  }
  if (out?.auditReportVersion === 2 && typeof out.vulnerabilities === 'object') return { kind: 'report', report: out as unknown as AuditReport };
  const message = typeof out?.message === 'string' ? out.message
    : typeof (out?.error as { summary?: unknown } | undefined)?.summary === 'string' && (out!.error as { summary: string }).summary ? (out!.error as { summary: string }).summary
      : stderr.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'no output';
  const status = typeof out?.statusCode === 'number' ? out.statusCode : undefined;
  const network = NETWORK_ERROR.exec(`${message}\n${stderr}`);
  if (network) return { kind: 'unreachable', reason: message.includes(network[1]) ? message : `${network[1]}: ${message}` };
  if (status !== undefined && (status >= 500 || TRANSIENT.includes(status))) return { kind: 'unreachable', reason: message };
  if (status !== undefined && NOT_SERVED.includes(status)) return { kind: 'unreachable', reason: `the registry does not serve the audit endpoint: ${message}` };
  if (out?.auditReportVersion !== undefined) return { kind: 'error', reason: `unsupported npm audit report version ${JSON.stringify(out.auditReportVersion)} (expected 2)` };
  return { kind: 'error', reason: message };
}

export interface BundledAdvisory {
  readonly package: string;
  readonly severity: string;
  readonly title: string;
  readonly url: string;
  readonly nodes: readonly string[];
  readonly bundles: readonly string[];
  readonly version?: string;
}

/**
 * The advisories of the bundled copies: each advisory object in the `via` of a vulnerability one of whose
 * vulnerable `nodes` is bundled. A name in `via` (affected through a dependency) adds nothing: that
 * dependency's own advisory counts if its code is bundled too, and is not shipped otherwise.
 */
export function bundledAdvisories(report: AuditReport, bundled: readonly BundledPackage[]): BundledAdvisory[] {
  const byNode = new Map(bundled.map((p) => [p.node, p]));
  const found = new Map<string, BundledAdvisory>();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    const shipped = vulnerability.nodes.filter((n) => byNode.has(n));
    if (shipped.length === 0) continue;
    for (const via of vulnerability.via) {
      if (typeof via === 'string') continue;
      const url = via.url ?? (via.source !== undefined ? `advisory ${via.source}` : '(no advisory URL)');
      const id = `${via.name} ${url}`;
      const previous = found.get(id);
      const nodes = [...new Set([...(previous?.nodes ?? []), ...shipped])].sort();
      found.set(id, {
        package: via.name,
        severity: via.severity,
        title: via.title ?? '',
        url,
        nodes,
        bundles: [...new Set(nodes.flatMap((n) => byNode.get(n)!.bundles))].sort(),
        version: [...new Set(nodes.map((n) => byNode.get(n)!.version).filter((v) => v !== undefined))].join(', ') || undefined,
      });
    }
  }
  const rank = (s: string) => ['critical', 'high', 'moderate', 'low', 'info'].indexOf(s);
  return [...found.values()].sort((a, b) => rank(a.severity) - rank(b.severity) || a.package.localeCompare(b.package) || a.url.localeCompare(b.url));
}

/** The lines to print and the exit status. */
export function verdict(outcome: AuditOutcome, bundled: readonly BundledPackage[]): { readonly lines: string[]; readonly exitCode: number } {
  const bundles = [...new Set(bundled.flatMap((p) => p.bundles))].sort();
  const scope = `${bundled.length} package(s) bundled into ${bundles.join(', ')}`;
  if (outcome.kind === 'unreachable') return { lines: [`supply-chain audit SKIPPED: advisory service unreachable (${outcome.reason})`], exitCode: 0 };
  if (outcome.kind === 'error') return { lines: [`supply-chain audit FAILED: npm audit gave no report (${outcome.reason})`], exitCode: 2 };
  const advisories = bundledAdvisories(outcome.report, bundled);
  const failing = advisories.filter((a) => FAILING_SEVERITIES.includes(a.severity));
  const lines = advisories.map((a) => {
    const what = `${a.package}${a.version ? `@${a.version}` : ''}`;
    const below = FAILING_SEVERITIES.includes(a.severity) ? '' : ' (below high: reported, not failing)';
    return `supply-chain audit: ${a.severity.toUpperCase()} ${what} ${a.url} ${a.title} [${a.nodes.join(', ')}; in ${a.bundles.join(', ')}]${below}`;
  });
  const elsewhere = Object.keys(outcome.report.vulnerabilities).length;
  lines.push(failing.length > 0
    ? `supply-chain audit FAILED: ${failing.length} high or critical advisory(ies) in the ${scope}`
    : `supply-chain audit passed: no high or critical advisory in the ${scope} (npm audit lists ${elsewhere} vulnerable package(s) in the whole tree)`);
  return { lines, exitCode: failing.length > 0 ? 1 : 0 };
}

function versionOf(node: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(node, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function main(): void {
  const dir = path.join('assets', 'lambda');
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args : fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.meta.json')).sort().map((f) => path.join(dir, f)) : [];
  if (files.length === 0) {
    console.log(`supply-chain audit FAILED: no esbuild metafile in ${dir}/ (run \`npx projen bundle\` first: the audit covers what the bundles contain)`);
    process.exitCode = 2;
    return;
  }
  const bundled = bundledPackages(files.map((f) => ({ bundle: path.basename(f, '.meta.json'), metafile: JSON.parse(fs.readFileSync(f, 'utf8')) as Metafile })))
    .map((p) => ({ ...p, version: versionOf(p.node) }));
  const npm = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['audit', '--json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const outcome = npm.error
    ? { kind: 'error' as const, reason: `npm could not be run: ${npm.error.message}` }
    : classifyAudit(npm.stdout, npm.stderr);
  const { lines, exitCode } = verdict(outcome, bundled);
  for (const line of lines) console.log(line);
  process.exitCode = exitCode;
}

if (require.main === module) main();
