/**
 * The posture report: a JSON document for machines and a table by severity for people.
 * JSON shape (stable): {"integration","generatedAt","checks":[{"id","severity","title","count","subjects":[…]}]}
 */
import { SEVERITIES, type Severity } from './check.js';
import type { PostureRunResult } from './run.js';

export interface ReportCheck {
  id: string;
  severity: Severity;
  title: string;
  count: number;
  /** `KIND:ID`, sorted. */
  subjects: string[];
}

export interface PostureReport {
  /** The integration's name. */
  integration: string;
  /** ISO-8601 time the checks were evaluated at. */
  generatedAt: string;
  /** Every check, count 0 included. */
  checks: ReportCheck[];
}

/** subject → display label (login, group or app name), for the table. */
export type SubjectLabels = ReadonlyMap<string, string>;

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The JSON report of one run: exactly the documented keys, subjects sorted. */
export function buildReport(run: PostureRunResult): PostureReport {
  return {
    integration: run.integration.name,
    generatedAt: run.evaluatedAt.toISOString(),
    checks: run.checks.map((c) => ({
      id: c.id,
      severity: c.severity,
      title: c.title,
      count: c.count,
      subjects: c.subjects.map((s) => s.subject).sort(byString),
    })),
  };
}

/** Labels of every subject of a run, for formatReportTable. */
export function reportLabels(run: PostureRunResult): Map<string, string> {
  const labels = new Map<string, string>();
  for (const c of run.checks) for (const s of c.subjects) labels.set(s.subject, s.label);
  return labels;
}

export interface FormatReportOptions {
  /** How many subjects to name per check (default 3). */
  maxSubjects?: number;
  /** Hide checks with no findings (default false: every check is listed). */
  onlyFindings?: boolean;
}

const SEVERITY_RANK = new Map(SEVERITIES.map((s, i) => [s, i]));

/** A plain-text table: severity, count, check id, then the first subjects by label. */
export function formatReportTable(report: PostureReport, labels: SubjectLabels = new Map(), opts: FormatReportOptions = {}): string {
  const maxSubjects = opts.maxSubjects ?? 3;
  const checks = report.checks
    .filter((c) => !opts.onlyFindings || c.count > 0)
    .map((c, index) => ({ c, index }))
    .sort((a, b) => (SEVERITY_RANK.get(a.c.severity)! - SEVERITY_RANK.get(b.c.severity)!) || a.index - b.index)
    .map(({ c }) => c);
  const rows = checks.map((c) => {
    const named = c.subjects.slice(0, maxSubjects).map((s) => labels.get(s) ?? s);
    const more = c.count > named.length ? ` (+${c.count - named.length} more)` : '';
    return [c.severity.toUpperCase(), String(c.count), c.id, c.count === 0 ? '-' : named.join(', ') + more];
  });
  const header = ['SEVERITY', 'COUNT', 'CHECK', 'FIRST SUBJECTS'];
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 3 ? (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)) : cell)).join('  ').trimEnd();
  const total = report.checks.reduce((n, c) => n + c.count, 0);
  const failing = report.checks.filter((c) => c.count > 0).length;
  return [
    `Posture report for ${report.integration} at ${report.generatedAt}`,
    `${total} findings in ${failing} of ${report.checks.length} checks`,
    '',
    line(header),
    ...rows.map(line),
    '',
  ].join('\n');
}
