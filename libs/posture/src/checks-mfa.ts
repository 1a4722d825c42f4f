/** Factor checks that apply to every ACTIVE user. */
import { sql } from 'drizzle-orm';
import type { PostureCheck } from './check.js';
import { hasActiveFactor, inList, live, userLabel } from './sql-parts.js';

/** Factor types that are phishable and/or rely on a channel an attacker can take over. */
export const WEAK_FACTOR_TYPES = ['sms', 'call', 'email', 'question'] as const;

export const mfaNone: PostureCheck = {
  id: 'mfa.none',
  severity: 'high',
  title: 'ACTIVE users with no ACTIVE MFA factor',
  rationale:
    'A password alone protects these accounts. DISA Okta IDaaS STIG V-273194 (CAT I) requires multifactor ' +
    'authentication for the Okta Dashboard; CIS Controls v8 6.3/6.5 require MFA for externally-exposed apps and admin access.',
  remediation:
    'Require factor enrollment in the authenticator enrollment policy and an MFA rule in the global session / ' +
    'Okta Dashboard authentication policy; follow up with users who have not enrolled.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'ACTIVE' AND NOT ${hasActiveFactor('u', p)}`,
};

export const mfaWeakOnly: PostureCheck = {
  id: 'mfa.weak_only',
  severity: 'medium',
  title: 'ACTIVE users whose only ACTIVE factors are SMS, voice call, email or security question',
  rationale:
    'SMS, voice and email codes can be phished or intercepted (SIM swap, mailbox takeover) and security ' +
    'questions are guessable. DISA Okta IDaaS STIG V-273190 requires non-phishable authenticators for the ' +
    'Okta Dashboard; NIST SP 800-63B treats PSTN (SMS/voice) as a restricted authenticator.',
  remediation:
    'Enroll these users in Okta Verify (push / FastPass) or a FIDO2 (WebAuthn) authenticator, then ' +
    'remove SMS, voice, email and security question from the authenticator enrollment policy.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'ACTIVE'
      AND ${hasActiveFactor('u', p)}
      AND NOT EXISTS (
        SELECT 1 FROM factors f
        WHERE ${live('f', p)} AND f.user_id = u.okta_id AND f.status = 'ACTIVE'
          AND f.factor_type NOT IN ${inList(WEAK_FACTOR_TYPES)})`,
};
