/**
 * SCIM 2.0 resources (RFC 7643) ⇄ the graph: pure functions, no I/O.
 *
 * - The schemas idgraph serves (core User with the enterprise extension, core Group), as data:
 *   the server renders /Schemas from them and requests are checked against them.
 * - `parseScimUser` / `parseScimGroup`: a request body → what the store writes. Attribute names
 *   are matched without case (RFC 7643 §2.1) and stored in the schema's spelling; read-only
 *   attributes sent by the client (id, meta, a User's groups) are ignored as the RFC says; the
 *   password is dropped (never stored, never echoed); unknown attributes and schemas, and values
 *   of the wrong type, are refused with a `ScimInputError` naming the attribute.
 * - `scimGraphChanges`: what a write changes in the graph, as mutations stamped with the push's
 *   time: a User is a `user` node (login = userName, email = the primary email, first and last
 *   name = name.givenName / name.familyName, status ACTIVE, or DEPROVISIONED when active is
 *   false); a Group is an OKTA_GROUP `group` node named displayName; members are `member_of` edges.
 *   Only what the write changed is sent, so a deactivation changes the status alone.
 */
import { ENTERPRISE_USER_SCHEMA, type GraphMutation, type ScimChange, type ScimProjector, type ScimRecord, type ScimWrite } from '@idgraph/graph';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_ENTERPRISE_USER_SCHEMA = ENTERPRISE_USER_SCHEMA;

/** A request body that does not fit the schema; the server answers 400 with this scimType and message. */
export class ScimInputError extends Error {
  constructor(
    readonly scimType: 'invalidSyntax' | 'invalidValue' | 'mutability',
    message: string,
  ) {
    super(message);
    this.name = 'ScimInputError';
  }
}

export interface ScimAttribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: ScimAttribute[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

export interface ScimSchema {
  id: string;
  name: string;
  description: string;
  attributes: ScimAttribute[];
}

type Opt = Partial<Omit<ScimAttribute, 'name' | 'type' | 'description'>>;
const attr = (name: string, type: ScimAttribute['type'], description: string, o: Opt = {}): ScimAttribute => ({
  name,
  type,
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...o,
});
const str = (name: string, description: string, o: Opt = {}) => attr(name, 'string', description, o);
const multi = (name: string, description: string, sub: ScimAttribute[], o: Opt = {}) =>
  attr(name, 'complex', description, { multiValued: true, subAttributes: sub, ...o });
/** value, display, type, primary: the sub-attributes of most multi-valued attributes. */
const plural = (valueDescription: string, types: string[], valueType: ScimAttribute['type'] = 'string') => [
  attr('value', valueType, valueDescription),
  str('display', 'A human-readable name, primarily used for display purposes.'),
  str('type', 'A label indicating the attribute\'s function.', { canonicalValues: types }),
  attr('primary', 'boolean', "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."),
];

export const USER_SCHEMA: ScimSchema = {
  id: SCIM_USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used to sign in; compared without case.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name of the User (last name).'),
        str('givenName', 'The given name of the User (first name).'),
        str('middleName', 'The middle name(s) of the User.'),
        str('honorificPrefix', 'The honorific prefix(es) of the User.'),
        str('honorificSuffix', 'The honorific suffix(es) of the User.'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user.'),
    attr('profileUrl', 'reference', "A fully qualified URL pointing to a page representing the User's online profile.", { referenceTypes: ['external'] }),
    str('title', "The user's title, such as \"Vice President\"."),
    str('userType', 'Used to identify the relationship between the organization and the user.'),
    str('preferredLanguage', "The User's preferred written or spoken language."),
    str('locale', "The User's default location, e.g. en-US."),
    str('timezone', "The User's time zone in the 'Olson' time zone database format."),
    attr('active', 'boolean', "The User's administrative status: false deprovisions the user (status DEPROVISIONED in the graph)."),
    str('password', 'Accepted and discarded: idgraph never stores or returns passwords.', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', 'Email addresses for the user.', plural('Email address for the User.', ['work', 'home', 'other'])),
    multi('phoneNumbers', 'Phone numbers for the User.', plural('Phone number of the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other'])),
    multi('ims', 'Instant messaging addresses for the User.', plural('Instant messaging address for the User.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'])),
    multi('photos', 'URLs of photos of the User.', plural('URL of a photo of the User.', ['photo', 'thumbnail'], 'reference')),
    multi('addresses', 'A physical mailing address for this User.', [
      str('formatted', 'The full mailing address, formatted for display.'),
      str('streetAddress', 'The full street address component.'),
      str('locality', 'The city or locality component.'),
      str('region', 'The state or region component.'),
      str('postalCode', 'The zip code or postal code component.'),
      str('country', 'The country name component.'),
      str('type', "A label indicating the attribute's function.", { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean', 'The primary mailing address.'),
    ]),
    multi(
      'groups',
      'A list of groups to which the user belongs (read-only: change memberships through the Groups).',
      [str('value', "The identifier of the User's group.", { mutability: 'readOnly' }), attr('$ref', 'reference', 'The URI of the Group.', { mutability: 'readOnly', referenceTypes: ['Group'] }), str('display', "The group's displayName.", { mutability: 'readOnly' }), str('type', 'direct', { mutability: 'readOnly', canonicalValues: ['direct'] })],
      { mutability: 'readOnly' },
    ),
    multi('entitlements', 'A list of entitlements for the User.', plural('The value of an entitlement.', [])),
    multi('roles', 'A list of roles for the User.', plural('The value of a role.', [])),
    multi('x509Certificates', 'A list of certificates issued to the User.', plural('The value of an X.509 certificate.', [])),
  ],
};

export const ENTERPRISE_USER_SCHEMA_DEF: ScimSchema = {
  id: SCIM_ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person by the organization.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the User\'s manager.'),
        attr('$ref', 'reference', "The URI of the SCIM resource representing the User's manager.", { referenceTypes: ['User'] }),
        str('displayName', "The displayName of the User's manager.", { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const GROUP_SCHEMA: ScimSchema = {
  id: SCIM_GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group.', { required: true }),
    multi('members', 'A list of members of the Group (Users of this endpoint).', [
      str('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
      attr('$ref', 'reference', 'The URI of the member.', { mutability: 'immutable', referenceTypes: ['User'] }),
      str('display', "The member's userName.", { mutability: 'readOnly' }),
      str('type', 'The type of the member: User.', { mutability: 'immutable', canonicalValues: ['User'] }),
    ]),
  ],
};

export const SCIM_SCHEMAS: readonly ScimSchema[] = [USER_SCHEMA, ENTERPRISE_USER_SCHEMA_DEF, GROUP_SCHEMA];

/** Attributes common to every resource (RFC 7643 §3.1): set by the server, ignored in requests. */
const COMMON_READ_ONLY = new Set(['id', 'meta']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A boolean as sent: true/false, or the strings "true"/"false" some clients send. */
function asBoolean(v: unknown, path: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new ScimInputError('invalidValue', `${path} must be true or false, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `a ${typeof v}`;
}

/** One value of an attribute, checked and with its sub-attributes canonical; undefined drops it. */
function checkValue(def: ScimAttribute, v: unknown, path: string): unknown {
  if (v === null) return undefined;
  switch (def.type) {
    case 'boolean':
      return asBoolean(v, path);
    case 'complex': {
      if (!isObject(v)) throw new ScimInputError('invalidValue', `${path} must be an object with ${(def.subAttributes ?? []).map((s) => s.name).join(', ')}, got ${describe(v)}`);
      const out = canonicalAttributes(def.subAttributes ?? [], v, path, false);
      return Object.keys(out).length ? out : undefined;
    }
    default:
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && def.type === 'string') return String(v);
      throw new ScimInputError('invalidValue', `${path} must be a string, got ${describe(v)}`);
  }
}

/** The attributes of `input` under `defs`, in the schema's spelling; unknown names are refused. */
function canonicalAttributes(defs: readonly ScimAttribute[], input: Json, path: string, topLevel: boolean, allowed: ReadonlySet<string> = new Set()): Json {
  const byLower = new Map(defs.map((d) => [d.name.toLowerCase(), d]));
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (allowed.has(lower)) continue;
    const def = byLower.get(lower);
    const where = path ? `${path}.${key}` : key;
    if (!def) {
      const known = defs.map((d) => d.name).join(', ');
      throw new ScimInputError('invalidSyntax', `unknown attribute "${where}"${topLevel ? '' : ` (${path} has ${known})`}: idgraph accepts the attributes of its /Schemas only`);
    }
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue; // ignored (RFC 7643 §2.2) or discarded (password)
    if (def.multiValued) {
      if (value === null) continue;
      const list = Array.isArray(value) ? value : [value];
      const items = list.map((item, i) => checkValue(def, item, `${where}[${i}]`)).filter((x) => x !== undefined);
      if (items.length) out[def.name] = items;
      continue;
    }
    if (Array.isArray(value)) throw new ScimInputError('invalidValue', `${where} takes one value, not an array`);
    const checked = checkValue(def, value, where);
    if (checked !== undefined) out[def.name] = checked;
  }
  return out;
}

function requireObjectBody(body: unknown, kind: string): Json {
  if (!isObject(body)) throw new ScimInputError('invalidSyntax', `the request body must be a JSON object (a SCIM ${kind}), got ${describe(body)}`);
  return body;
}

/** The `schemas` attribute: it must name the core schema; extensions present in the body are added. */
function checkSchemas(body: Json, core: string, extensions: readonly string[]): string[] {
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const raw = key ? body[key] : undefined;
  if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string')) {
    throw new ScimInputError('invalidSyntax', `"schemas" must be an array of schema URIs including "${core}"`);
  }
  const known = new Map([core, ...extensions].map((s) => [s.toLowerCase(), s]));
  const out: string[] = [];
  for (const s of raw as string[]) {
    const canonical = known.get(s.toLowerCase());
    if (!canonical) throw new ScimInputError('invalidSyntax', `unknown schema "${s}": idgraph serves ${[...known.values()].join(' and ')}`);
    if (!out.includes(canonical)) out.push(canonical);
  }
  if (!out.includes(core)) throw new ScimInputError('invalidSyntax', `"schemas" must include "${core}"`);
  return out;
}

function optionalString(body: Json, name: string): string | null {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined || body[key] === null) return null;
  const v = body[key];
  if (typeof v !== 'string') throw new ScimInputError('invalidValue', `${name} must be a string, got ${describe(v)}`);
  return v;
}

const USER_TOP_SKIP = new Set(['schemas', 'externalid', ...COMMON_READ_ONLY]);
const GROUP_TOP_SKIP = new Set(['schemas', 'externalid', 'members', ...COMMON_READ_ONLY]);

/** A User request body (POST, PUT, or the result of a PATCH) → what the store writes. */
export function parseScimUser(body: unknown): ScimWrite {
  const b = requireObjectBody(body, 'User');
  const schemas = checkSchemas(b, SCIM_USER_SCHEMA, [SCIM_ENTERPRISE_USER_SCHEMA]);
  const enterpriseKey = Object.keys(b).find((k) => k.toLowerCase() === SCIM_ENTERPRISE_USER_SCHEMA.toLowerCase());
  // The core schema's URN may prefix core attributes too ("urn:…:core:2.0:User": {…} is not an attribute).
  const core = canonicalAttributes(USER_SCHEMA.attributes, b, '', true, new Set([...USER_TOP_SKIP, ...(enterpriseKey ? [enterpriseKey.toLowerCase()] : [])]));
  const resource: Json = { schemas, ...core };
  if (enterpriseKey !== undefined && b[enterpriseKey] !== null) {
    const ext = b[enterpriseKey];
    if (!isObject(ext)) throw new ScimInputError('invalidValue', `${SCIM_ENTERPRISE_USER_SCHEMA} must be an object, got ${describe(ext)}`);
    const checked = canonicalAttributes(ENTERPRISE_USER_SCHEMA_DEF.attributes, ext, SCIM_ENTERPRISE_USER_SCHEMA, false);
    if (Object.keys(checked).length) {
      resource[SCIM_ENTERPRISE_USER_SCHEMA] = checked;
      if (!schemas.includes(SCIM_ENTERPRISE_USER_SCHEMA)) schemas.push(SCIM_ENTERPRISE_USER_SCHEMA);
    }
  }
  const userName = typeof core.userName === 'string' ? core.userName.trim() : '';
  if (!userName) throw new ScimInputError('invalidValue', 'userName is required: a non-empty string (the sign-in name; Okta sends the user\'s app username)');
  resource.userName = userName;
  const active = core.active === undefined ? true : (core.active as boolean);
  resource.active = active;
  const externalId = optionalString(b, 'externalId');
  return {
    externalId: externalId && externalId.trim() ? externalId.trim() : null,
    userName,
    displayName: typeof core.displayName === 'string' ? core.displayName : null,
    active,
    resource,
  };
}

/** A Group request body → what the store writes (members: the member Users' ids). */
export function parseScimGroup(body: unknown): ScimWrite {
  const b = requireObjectBody(body, 'Group');
  const schemas = checkSchemas(b, SCIM_GROUP_SCHEMA, []);
  const core = canonicalAttributes(GROUP_SCHEMA.attributes, b, '', true, GROUP_TOP_SKIP);
  const displayName = typeof core.displayName === 'string' ? core.displayName.trim() : '';
  if (!displayName) throw new ScimInputError('invalidValue', 'displayName is required: the group\'s name, a non-empty string');
  const externalId = optionalString(b, 'externalId');
  const membersKey = Object.keys(b).find((k) => k.toLowerCase() === 'members');
  const rawMembers = membersKey === undefined ? undefined : b[membersKey];
  let members: string[] | undefined;
  if (rawMembers === null) members = [];
  else if (rawMembers !== undefined) {
    if (!Array.isArray(rawMembers)) throw new ScimInputError('invalidValue', `members must be an array of {"value": USER-ID}, got ${describe(rawMembers)}`);
    members = rawMembers.map((m, i) => memberId(m, i));
  }
  return {
    externalId: externalId && externalId.trim() ? externalId.trim() : null,
    userName: null,
    displayName,
    active: null,
    resource: { schemas, displayName },
    ...(members !== undefined ? { members: [...new Set(members)] } : {}),
  };
}

function memberId(m: unknown, i: number): string {
  if (!isObject(m)) throw new ScimInputError('invalidValue', `members[${i}] must be an object {"value": USER-ID}, got ${describe(m)}`);
  const checked = canonicalAttributes(GROUP_SCHEMA.attributes[1]!.subAttributes!, m, `members[${i}]`, false, new Set(['display']));
  const value = checked.value;
  if (typeof value !== 'string' || !value.trim()) throw new ScimInputError('invalidValue', `members[${i}].value is required: the id of a User of this endpoint`);
  if (checked.type !== undefined && String(checked.type).toLowerCase() !== 'user') {
    throw new ScimInputError('invalidValue', `members[${i}].type is "${String(checked.type)}": only Users can be members here (no nested groups)`);
  }
  return value.trim();
}

/** What a User resource means in the graph. */
export interface ScimUserProfile {
  login: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  status: 'ACTIVE' | 'DEPROVISIONED';
}

export function scimUserProfile(record: Pick<ScimRecord, 'userName' | 'active' | 'resource'>): ScimUserProfile {
  const r = record.resource;
  const emails = Array.isArray(r.emails) ? (r.emails as Json[]).filter((e) => typeof e.value === 'string') : [];
  const email = (emails.find((e) => e.primary === true) ?? emails[0])?.value;
  const name = isObject(r.name) ? r.name : {};
  return {
    login: record.userName ?? '',
    email: typeof email === 'string' ? email : null,
    firstName: typeof name.givenName === 'string' ? name.givenName : null,
    lastName: typeof name.familyName === 'string' ? name.familyName : null,
    status: record.active === false ? 'DEPROVISIONED' : 'ACTIVE',
  };
}

/** The OKTA_GROUP type of pushed groups: Okta's group push pushes Okta groups. */
export const SCIM_GROUP_TYPE = 'OKTA_GROUP';

/** The graph mutations of one SCIM write, at the push's time `at`. */
export function scimGraphChanges(change: ScimChange, at: Date): GraphMutation[] {
  const { before, after } = change;
  const out: GraphMutation[] = [];
  if (after.resourceType === 'User') {
    const now = scimUserProfile(after);
    const was = before ? scimUserProfile(before) : null;
    const user: Partial<ScimUserProfile> = {};
    for (const k of Object.keys(now) as (keyof ScimUserProfile)[]) {
      if (!was || was[k] !== now[k]) (user as Record<string, unknown>)[k] = now[k];
    }
    if (Object.keys(user).length) out.push({ kind: 'user.upsert', at, user: { oktaId: after.graphId, ...user } });
    return out;
  }
  if (!before || before.displayName !== after.displayName) {
    out.push({ kind: 'group.upsert', at, group: { oktaId: after.graphId, name: after.displayName ?? after.graphId, groupType: SCIM_GROUP_TYPE } });
  }
  for (const userId of change.membersAdded) out.push({ kind: 'membership.add', at, userId, groupId: after.graphId });
  for (const userId of change.membersRemoved) out.push({ kind: 'membership.remove', at, userId, groupId: after.graphId });
  return out;
}

/** The projector the store calls inside its transaction. */
export function scimProjector(at: Date): ScimProjector {
  return (change) => scimGraphChanges(change, at);
}
