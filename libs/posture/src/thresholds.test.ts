import { describe, expect, it } from 'vitest';
import { ConfigError } from '@idgraph/core';
import { DEFAULT_POSTURE_THRESHOLDS, postureThresholdsFromEnv, resolvePostureThresholds } from './thresholds.js';

describe('posture thresholds', () => {
  it('defaults are the documented values', () => {
    expect(DEFAULT_POSTURE_THRESHOLDS).toMatchObject({
      superAdminMax: 4,
      adminInactiveDays: 30,
      adminGroupMaxMembers: 25,
      superAdminMinFactors: 2,
      adminPasswordMaxAgeDays: 180,
      userInactiveDays: 90,
      neverSignedInDays: 30,
      userPasswordMaxAgeDays: 365,
    });
  });

  it('reads IDGRAPH_POSTURE_* variables and keeps defaults for unset ones', () => {
    const t = postureThresholdsFromEnv({ IDGRAPH_POSTURE_SUPER_ADMIN_MAX: '2', IDGRAPH_POSTURE_USER_INACTIVE_DAYS: '35', OTHER: 'x' });
    expect(t.superAdminMax).toBe(2);
    expect(t.userInactiveDays).toBe(35);
    expect(t.adminGroupMaxMembers).toBe(25);
  });

  it('names the variable when a value is not a usable integer', () => {
    expect(() => postureThresholdsFromEnv({ IDGRAPH_POSTURE_ADMIN_INACTIVE_DAYS: 'thirty' })).toThrow(ConfigError);
    expect(() => postureThresholdsFromEnv({ IDGRAPH_POSTURE_ADMIN_INACTIVE_DAYS: '-3' })).toThrow(/IDGRAPH_POSTURE_ADMIN_INACTIVE_DAYS.*integer between 0 and/);
  });

  it('overrides in code: unknown keys and bad values are rejected by name', () => {
    expect(resolvePostureThresholds({ superAdminMax: 10 }).superAdminMax).toBe(10);
    expect(() => resolvePostureThresholds({ superAdminsMax: 3 } as never)).toThrow(/unknown posture threshold "superAdminsMax"/);
    expect(() => resolvePostureThresholds({ userInactiveDays: 1.5 })).toThrow(/userInactiveDays/);
  });
});
