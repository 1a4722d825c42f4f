/**
 * Posture thresholds: the numbers behind "too many", "too old" and "too long ago".
 * Defaults are DEFAULT_POSTURE_THRESHOLDS below; each can be overridden in code or with an IDGRAPH_POSTURE_* variable.
 */
import { env } from '@idgraph/core';

export interface PostureThresholds {
  /** admin.super_admin_count: more effective SUPER_ADMINs than this is a finding. */
  superAdminMax: number;
  /** admin.inactive: effective admins with no sign-in for this many days. */
  adminInactiveDays: number;
  /** admin.via_large_group: an admin role granted to a group with more members than this. */
  adminGroupMaxMembers: number;
  /** admin.single_factor: effective SUPER_ADMINs with fewer ACTIVE factors than this. */
  superAdminMinFactors: number;
  /** admin.password_stale: Okta-managed admin passwords unchanged for this many days. */
  adminPasswordMaxAgeDays: number;
  /** user.inactive: ACTIVE users with no sign-in for this many days. */
  userInactiveDays: number;
  /** user.never_signed_in: ACTIVE users created this many days ago who never signed in. */
  neverSignedInDays: number;
  /** user.password_stale: Okta-managed user passwords unchanged for this many days. */
  userPasswordMaxAgeDays: number;
  /** user.provisioned_not_activated: PROVISIONED for longer than this many days. */
  provisionedMaxDays: number;
}

export const DEFAULT_POSTURE_THRESHOLDS: Readonly<PostureThresholds> = Object.freeze({
  superAdminMax: 4,
  adminInactiveDays: 30,
  adminGroupMaxMembers: 25,
  superAdminMinFactors: 2,
  adminPasswordMaxAgeDays: 180,
  userInactiveDays: 90,
  neverSignedInDays: 30,
  userPasswordMaxAgeDays: 365,
  provisionedMaxDays: 30,
});

/** The environment variable that overrides each threshold. */
export const POSTURE_THRESHOLD_ENV: Readonly<Record<keyof PostureThresholds, string>> = Object.freeze({
  superAdminMax: 'IDGRAPH_POSTURE_SUPER_ADMIN_MAX',
  adminInactiveDays: 'IDGRAPH_POSTURE_ADMIN_INACTIVE_DAYS',
  adminGroupMaxMembers: 'IDGRAPH_POSTURE_ADMIN_GROUP_MAX_MEMBERS',
  superAdminMinFactors: 'IDGRAPH_POSTURE_SUPER_ADMIN_MIN_FACTORS',
  adminPasswordMaxAgeDays: 'IDGRAPH_POSTURE_ADMIN_PASSWORD_MAX_AGE_DAYS',
  userInactiveDays: 'IDGRAPH_POSTURE_USER_INACTIVE_DAYS',
  neverSignedInDays: 'IDGRAPH_POSTURE_NEVER_SIGNED_IN_DAYS',
  userPasswordMaxAgeDays: 'IDGRAPH_POSTURE_USER_PASSWORD_MAX_AGE_DAYS',
  provisionedMaxDays: 'IDGRAPH_POSTURE_PROVISIONED_MAX_DAYS',
});

const THRESHOLD_KEYS = Object.keys(DEFAULT_POSTURE_THRESHOLDS) as (keyof PostureThresholds)[];
/** Day counts and member counts beyond this are certainly typos (about 27 years in days). */
const MAX_THRESHOLD = 10_000;

/** Thresholds from IDGRAPH_POSTURE_* variables; unset ones keep their default. Throws ConfigError. */
export function postureThresholdsFromEnv(e: Record<string, string | undefined> = process.env): PostureThresholds {
  const out = { ...DEFAULT_POSTURE_THRESHOLDS };
  for (const key of THRESHOLD_KEYS) {
    out[key] = env.int(e, POSTURE_THRESHOLD_ENV[key], { default: DEFAULT_POSTURE_THRESHOLDS[key], min: 0, max: MAX_THRESHOLD });
  }
  return out;
}

/** Defaults overlaid with `overrides`; rejects unknown keys and non-integers with a message naming the key. */
export function resolvePostureThresholds(overrides: Partial<PostureThresholds> = {}): PostureThresholds {
  const out = { ...DEFAULT_POSTURE_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(THRESHOLD_KEYS as string[]).includes(key)) {
      throw new Error(`unknown posture threshold "${key}": expected one of ${THRESHOLD_KEYS.join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_THRESHOLD) {
      throw new Error(`posture threshold "${key}" must be an integer between 0 and ${MAX_THRESHOLD}, got ${String(value)}`);
    }
    out[key as keyof PostureThresholds] = value;
  }
  return out;
}
