import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, ActionInputError, actionCommand, parseAction, plannedRequests } from './catalog.js';

describe('action requests', () => {
  it('checks kinds, targets and resource sets, naming what to give instead', () => {
    expect(() => parseAction({ action: 'disable', subject: 'user:00u1' })).toThrow(/unknown action "disable": use one of deactivate/);
    expect(() => parseAction({ action: 'suspend', subject: 'group:00g1' })).toThrow(/suspend acts on user:ID/);
    expect(() => parseAction({ action: 'remove-from-group', subject: 'user:00u1' })).toThrow(/needs --target group:ID/);
    expect(() => parseAction({ action: 'remove-from-group', subject: 'user:00u1', target: 'app:0oa1' })).toThrow(/needs --target group:ID, not app:/);
    expect(() => parseAction({ action: 'suspend', subject: 'user:00u1', target: 'group:00g1' })).toThrow(/takes no --target/);
    expect(() => parseAction({ action: 'suspend', subject: 'user:00u1', resourceSet: 'iam1' })).toThrow(/only for revoke-role/);
    expect(() => parseAction({ action: 'suspend', subject: '00u1' })).toThrow(/is not KIND:ID/);
    // Logins and addresses never reach the append-only audit.
    expect(() => parseAction({ action: 'suspend', subject: 'user:alice@example.com' })).toThrow(ActionInputError);
    expect(() => parseAction({ action: 'suspend', subject: 'user:../../groups' })).toThrow(/not a login/);
  });

  it('plans the exact Okta requests of each action', () => {
    const plan = (action: string, subject: string, target?: string, resolved = {}) => plannedRequests(parseAction({ action, subject, ...(target ? { target } : {}) }), resolved);
    expect(plan('deactivate', 'user:00u1')).toEqual([{ method: 'POST', path: '/api/v1/users/00u1/lifecycle/deactivate' }]);
    expect(plan('clear-sessions', 'user:00u1')).toEqual([{ method: 'DELETE', path: '/api/v1/users/00u1/sessions' }]);
    expect(plan('delete-user', 'user:00u1')).toEqual([{ method: 'DELETE', path: '/api/v1/users/00u1' }]);
    expect(plan('remove-from-group', 'user:00u1', 'group:00g1')).toEqual([{ method: 'DELETE', path: '/api/v1/groups/00g1/users/00u1' }]);
    expect(plan('unassign-app', 'group:00g1', 'app:0oa1')).toEqual([{ method: 'DELETE', path: '/api/v1/apps/0oa1/groups/00g1' }]);
    expect(plan('revoke-role', 'group:00g1', 'role:ORG_ADMIN', { assignmentId: 'gra1' })).toEqual([{ method: 'DELETE', path: '/api/v1/groups/00g1/roles/gra1' }]);
    expect(plan('revoke-role', 'app:0oa1', 'role:SUPER_ADMIN', { assignmentId: 'rac1', clientId: '0oa1' })).toEqual([{ method: 'DELETE', path: '/oauth2/v1/clients/0oa1/roles/rac1' }]);
    for (const name of ACTION_NAMES) expect(actionCommand('acme', name, { kind: 'user', id: '00u1' })).toBe(`idgraph action ${name} --integration acme --subject user:00u1`);
  });
});
