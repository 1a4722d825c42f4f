/**
 * What a posture check is. Each check is data plus one SQL query over the graph, or (checks on
 * effective privilege) a function of the integration's privilege graph (@idgraph/privilege).
 */
import type { SQL } from 'drizzle-orm';
import type { PrivilegeGraph, ShortestPaths } from '@idgraph/privilege';
import type { QueryScope } from './sql-parts.js';
import type { PostureThresholds } from './thresholds.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The kind part of a subject `KIND:ID`. `org` subjects are `org:<org host>` (one finding per org). */
export type SubjectKind = 'user' | 'group' | 'app' | 'org' | 'role' | 'api_token' | 'group_rule' | 'principal';

export interface CheckQueryParams extends QueryScope {
  /** The clock "N days ago" is measured against. */
  now: Date;
  thresholds: PostureThresholds;
}

/** One row a check query returns. */
export interface CheckSubjectRow {
  /** `KIND:ID`, e.g. `user:00u1abc…` */
  subject: string;
  /** What people recognise: a login, a group or app name. */
  label: string;
  /** More for the finding (kept in its details), e.g. the path of a path finding. */
  details?: Record<string, unknown>;
}

/** The privilege graph of the integration and its shortest paths to Tier Zero, computed once per run. */
export interface PrivilegeView {
  graph: PrivilegeGraph;
  tierZero: ShortestPaths;
}

export interface PostureCheck {
  /** Stable id, e.g. `mfa.none`; findings are keyed by it. */
  id: string;
  severity: Severity;
  title: string;
  /** Why it matters, citing its source (Okta HealthInsight, DISA Okta IDaaS STIG, Microsoft, CIS …). */
  rationale: string;
  remediation: string;
  subjectKind: SubjectKind;
  /** SQL over live rows of one integration returning `subject` and `label` columns (or `privilege`). */
  query?(params: CheckQueryParams): SQL;
  /** The subjects, from the integration's effective privilege (instead of `query`). */
  privilege?(view: PrivilegeView, params: CheckQueryParams): CheckSubjectRow[];
}
