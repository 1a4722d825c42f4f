/**
 * Whether an integration's credentials may perform an action, decided before anything is sent.
 *
 * - API token (SSWS): the token acts as the admin who created it. GET /api/v1/users/me returns that
 *   user (management-openapi.yaml: "the user linked to the API token"), GET
 *   /api/v1/users/{id}/roles their admin roles (including ones held through groups).
 * - Service app (OAuth): permissions are the granted scopes ∩ the app's admin roles. The scope is
 *   checked by asking the org authorization server for a token with only that scope (an ungranted
 *   scope is refused with invalid_scope); the roles with GET /oauth2/v1/clients/{clientId}/roles.
 *
 * Roles that cannot be read (no okta.roles.read, a custom role whose permissions are not listed
 * here) leave the decision to Okta: the action is attempted and a 403 becomes a refusal naming
 * what to grant.
 */
import { OktaApiError, OktaAuthError, type OktaClient, type OktaRoleAssignment } from '@idgraph/okta';
import type { ActionSpec } from './catalog.js';

export interface RoleHolder {
  kind: 'api-token-owner' | 'service-app';
  /** The token owner's user id, or the service app's client id. */
  id: string | null;
  /** Role types held (standard types; CUSTOM assignments as `CUSTOM:<role id>`). */
  roles: string[] | null;
}

export type PermissionVerdict =
  | { ok: true; verified: boolean; holder: RoleHolder; note: string }
  | { ok: false; holder: RoleHolder; grant: string; message: string };

function roleName(r: OktaRoleAssignment): string {
  return r.type === 'CUSTOM' ? `CUSTOM:${r.role ?? '?'}` : r.type;
}

/** What to grant so the holder can perform the action, in words. */
export function roleAdvice(spec: ActionSpec): string {
  const custom = spec.customPermissions.length ? ` (or a custom role with ${spec.customPermissions.join(' or ')})` : '';
  return `one of the admin roles ${spec.roles.join(', ')}${custom}`;
}

function judge(spec: ActionSpec, holder: RoleHolder, who: string): PermissionVerdict {
  const roles = holder.roles;
  if (roles === null) return { ok: true, verified: false, holder, note: `could not read ${who}'s admin roles; Okta decides` };
  if (roles.some((r) => spec.roles.includes(r))) return { ok: true, verified: true, holder, note: `${who} holds ${roles.filter((r) => spec.roles.includes(r)).join(', ')}` };
  if (roles.some((r) => r.startsWith('CUSTOM:')) && spec.customPermissions.length) {
    return { ok: true, verified: false, holder, note: `${who} holds custom roles whose permissions are not checked here; Okta decides` };
  }
  const grant = roleAdvice(spec);
  return {
    ok: false,
    holder,
    grant,
    message: `${who} holds ${roles.length ? roles.join(', ') : 'no admin role'}, which cannot ${spec.does}: give it ${grant}`,
  };
}

function unreadable(err: unknown): boolean {
  return (err instanceof OktaApiError && (err.status === 403 || err.status === 404 || err.status === 401)) || err instanceof OktaAuthError;
}

/** API token: the owner's admin roles. `client` is the integration's own client. */
export async function apiTokenPermission(spec: ActionSpec, client: OktaClient): Promise<PermissionVerdict> {
  const holder: RoleHolder = { kind: 'api-token-owner', id: null, roles: null };
  try {
    const me = await client.getJson<{ id?: unknown }>('/api/v1/users/me');
    holder.id = typeof me.body.id === 'string' ? me.body.id : null;
    if (holder.id) holder.roles = (await client.listUserRoles(holder.id)).items.map(roleName);
  } catch (err) {
    if (!unreadable(err)) throw err;
  }
  return judge(spec, holder, `the API token's owner${holder.id ? ` (user ${holder.id})` : ''}`);
}

/** The scope grant a service app lacks, as advice. */
export function scopeAdvice(spec: ActionSpec): string {
  return `the scope ${spec.scope} (Okta Admin Console → Applications → the service app → Okta API Scopes → Grant)`;
}

/**
 * Service app: its admin roles, read with a client that requests only okta.roles.read. (Its
 * scope is proven by the action's own first request: the token request for an ungranted scope
 * fails with invalid_scope.)
 */
export async function serviceAppPermission(spec: ActionSpec, clientId: string, rolesClient: OktaClient): Promise<PermissionVerdict> {
  const holder: RoleHolder = { kind: 'service-app', id: clientId, roles: null };
  try {
    holder.roles = (await rolesClient.listClientRoles(clientId)).items.map(roleName);
  } catch (err) {
    if (!unreadable(err)) throw err;
  }
  return judge(spec, holder, `the service app ${clientId}`);
}
