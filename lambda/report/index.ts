/**
 * The compliance report of key groups: gathered with the caller's
 * credentials, built from the ledger's verified event log and KMS, rendered.
 */
export { reportAllGroups, reportGroup, ReportError } from './gather';
export type { ReportOptions } from './gather';
export { buildGroupReport, reportFailed, reportVerdict } from './group-report';
export type { Finding, GenerationReport, GroupReport, KeyFacts, Verdict } from './group-report';
export type { SealReport, SealStatus } from './seal-findings';
export { renderReports, REPORT_FORMATS } from './render';
export type { ReportFormat } from './render';
