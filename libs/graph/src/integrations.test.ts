import { describe, expect, it } from 'vitest';
import { validateIntegration, type NewIntegration } from './integrations.js';

const base: NewIntegration = { name: 'acme', orgUrl: 'https://acme.okta.com', authMethod: 'ssws', secrets: { token: 't0ken-value' }, allowHttp: false };

describe('validateIntegration org URLs', () => {
  it('accepts an org origin, with or without a trailing slash', () => {
    expect(() => validateIntegration(base)).not.toThrow();
    expect(() => validateIntegration({ ...base, orgUrl: 'https://acme.okta.com/' })).not.toThrow();
  });

  it('refuses credentials, a path, a query or a fragment, saying what to give and never echoing a password', () => {
    const cases: [string, string][] = [
      ['https://admin:hunter2pass@acme.okta.com', 'orgUrl contains a user name or password (https://***@acme.okta.com): give only the org, https://acme.okta.com, and the credentials in secrets'],
      ['https://acme.okta.com/admin/dashboard', "orgUrl https://acme.okta.com/admin/dashboard has a path, query or fragment: give only the org's base URL, https://acme.okta.com"],
      ['https://acme.okta.com/?token=hunter2pass', "orgUrl https://acme.okta.com/?… has a path, query or fragment: give only the org's base URL, https://acme.okta.com"],
      ['https://acme.okta.com/#x', "has a path, query or fragment: give only the org's base URL, https://acme.okta.com"],
      ['https://u:hunter2pass@', 'orgUrl "https://***@" is not a URL'],
    ];
    for (const [orgUrl, message] of cases) {
      expect(() => validateIntegration({ ...base, orgUrl })).toThrow(message);
      const refused = (() => {
        try {
          validateIntegration({ ...base, orgUrl });
          return null;
        } catch (err) {
          return err as Error;
        }
      })();
      expect(refused?.message).not.toContain('hunter2pass');
    }
  });
});
