/** The catalogue of posture checks, in report order. */
import type { PostureCheck } from './check.js';
import {
  adminInactive,
  adminNoPhishingResistantMfa,
  adminPasswordStale,
  adminPhoneFactor,
  adminRoleViaAppGroup,
  adminServiceAppPrivileged,
  adminSingleFactor,
  adminSuperAdminCount,
  adminViaLargeGroup,
} from './checks-admin.js';
import { appAssignedToEveryone, appInactiveWithAssignments } from './checks-app.js';
import { mfaNone, mfaWeakOnly } from './checks-mfa.js';
import { privilegeAdminViaGroupRule, privilegeCredentialCarriesSuperAdmin, privilegePathToTierZero, privilegeRoleOnlyViaLargeGroup } from './checks-privilege.js';
import {
  userDeprovisionedWithAccess,
  userInactive,
  userLockedOut,
  userNeverSignedIn,
  userPasswordStale,
  userProvisionedNotActivated,
} from './checks-user.js';

export const POSTURE_CHECKS: readonly PostureCheck[] = Object.freeze([
  mfaNone,
  mfaWeakOnly,
  adminNoPhishingResistantMfa,
  adminSuperAdminCount,
  adminInactive,
  adminViaLargeGroup,
  adminServiceAppPrivileged,
  adminSingleFactor,
  adminPasswordStale,
  userInactive,
  userNeverSignedIn,
  userDeprovisionedWithAccess,
  userPasswordStale,
  userLockedOut,
  appAssignedToEveryone,
  // Beyond the first catalogue (admin MFA, admin counts and inactivity, user hygiene):
  adminPhoneFactor,
  adminRoleViaAppGroup,
  userProvisionedNotActivated,
  appInactiveWithAssignments,
  // Effective privilege (@idgraph/privilege):
  privilegePathToTierZero,
  privilegeCredentialCarriesSuperAdmin,
  privilegeRoleOnlyViaLargeGroup,
  privilegeAdminViaGroupRule,
]);

/**
 * The checks about administrators: what a full collection makes final early (the collector's
 * admin step reads admin roles, their holders and their factors before everyone else's factors).
 */
export const ADMIN_POSTURE_CHECKS: readonly PostureCheck[] = Object.freeze(POSTURE_CHECKS.filter((c) => c.id.startsWith('admin.')));

export function findCheck(id: string): PostureCheck | undefined {
  return POSTURE_CHECKS.find((c) => c.id === id);
}
