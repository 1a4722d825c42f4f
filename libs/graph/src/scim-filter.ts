/**
 * SCIM filters (RFC 7644 §3.4.2.2) as SQL over scim_resources (aliased r). The filter arrives as
 * an AST (the shape scim2-parse-filter produces: the server parses, this module never sees the
 * text); each attribute the store can answer maps to a column or a JSON path of the stored
 * resource, and anything else is refused with the list of what can be filtered.
 *
 * Case: attribute names are case-insensitive (RFC 7643 §2.1). Values of attributes whose
 * caseExact is false (userName, displayName, names, emails, …) compare without case; id and
 * externalId compare exactly.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ScimResourceType } from './schema.js';

/** The filter AST (scim2-parse-filter's `Filter`). */
export type ScimFilter =
  | { op: 'and' | 'or'; filters: ScimFilter[] }
  | { op: 'not'; filter: ScimFilter }
  | { op: 'pr'; attrPath: string }
  | { op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le'; attrPath: string; compValue: boolean | null | number | string }
  | { op: '[]'; attrPath: string; valFilter: ScimFilter };

/** A filter the store cannot answer: the server answers 400 invalidFilter with this message. */
export class ScimFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScimFilterError';
  }
}

type Kind = 'ci' | 'exact' | 'bool' | 'time';

interface Scalar {
  kind: Kind;
  expr: SQL;
}

/** A multi-valued attribute: its elements and the sub-attributes of one element. */
interface Multi {
  /** SQL yielding the elements as rows of a jsonb column `e`. */
  elements: SQL;
  sub: Record<string, Scalar>;
  /** The sub-attribute meant when the attribute is named alone (`emails eq "x"`). */
  primary: string;
}

interface Members {
  members: true;
}

type Attr = Scalar | Multi | Members;

const CORE_PREFIX: Record<ScimResourceType, string> = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:user:',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:group:',
};
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const json = (path: string[]): SQL => sql.raw(`(r."resource"${path.map((p, i) => `${i === path.length - 1 ? '->>' : '->'}'${p.replace(/'/g, "''")}'`).join('')})`);
const ci = (expr: SQL): Scalar => ({ kind: 'ci', expr });

const multiValued = (name: string, extraSub: Record<string, Scalar> = {}): Multi => ({
  elements: sql.raw(`jsonb_array_elements(CASE WHEN jsonb_typeof(r."resource"->'${name}') = 'array' THEN r."resource"->'${name}' ELSE '[]'::jsonb END) AS e`),
  sub: {
    value: ci(sql.raw(`(e->>'value')`)),
    type: ci(sql.raw(`(e->>'type')`)),
    display: ci(sql.raw(`(e->>'display')`)),
    primary: { kind: 'bool', expr: sql.raw(`(e->>'primary')::boolean`) },
    ...extraSub,
  },
  primary: 'value',
});

const META: Record<string, Attr> = {
  id: { kind: 'exact', expr: sql.raw('r."id"') },
  externalid: { kind: 'exact', expr: sql.raw('r."external_id"') },
  'meta.created': { kind: 'time', expr: sql.raw('r."created_at"') },
  'meta.lastmodified': { kind: 'time', expr: sql.raw('r."updated_at"') },
};

const USER_ATTRS: Record<string, Attr> = {
  ...META,
  username: ci(sql.raw('r."user_name"')),
  active: { kind: 'bool', expr: sql.raw('r."active"') },
  displayname: ci(json(['displayName'])),
  nickname: ci(json(['nickName'])),
  title: ci(json(['title'])),
  usertype: ci(json(['userType'])),
  preferredlanguage: ci(json(['preferredLanguage'])),
  locale: ci(json(['locale'])),
  timezone: ci(json(['timezone'])),
  profileurl: ci(json(['profileUrl'])),
  'name.givenname': ci(json(['name', 'givenName'])),
  'name.familyname': ci(json(['name', 'familyName'])),
  'name.middlename': ci(json(['name', 'middleName'])),
  'name.formatted': ci(json(['name', 'formatted'])),
  emails: multiValued('emails'),
  phonenumbers: multiValued('phoneNumbers'),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:employeenumber`]: ci(json([ENTERPRISE_USER_SCHEMA, 'employeeNumber'])),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:costcenter`]: ci(json([ENTERPRISE_USER_SCHEMA, 'costCenter'])),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:organization`]: ci(json([ENTERPRISE_USER_SCHEMA, 'organization'])),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:division`]: ci(json([ENTERPRISE_USER_SCHEMA, 'division'])),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:department`]: ci(json([ENTERPRISE_USER_SCHEMA, 'department'])),
  [`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:manager.value`]: { kind: 'exact', expr: json([ENTERPRISE_USER_SCHEMA, 'manager', 'value']) },
};

const GROUP_ATTRS: Record<string, Attr> = {
  ...META,
  displayname: ci(sql.raw('r."display_name"')),
  members: { members: true },
};

/** The attribute names each resource type can be filtered by, as documented (for messages and /Schemas). */
export const SCIM_FILTERABLE: Record<ScimResourceType, string[]> = {
  User: [
    'id', 'externalId', 'userName', 'active', 'displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'profileUrl',
    'name.givenName', 'name.familyName', 'name.middleName', 'name.formatted', 'emails[.value|.type|.primary|.display]', 'phoneNumbers[…]',
    'meta.created', 'meta.lastModified', `${ENTERPRISE_USER_SCHEMA}:employeeNumber|costCenter|organization|division|department|manager.value`,
  ],
  Group: ['id', 'externalId', 'displayName', 'members[.value]', 'meta.created', 'meta.lastModified'],
};

function lookup(type: ScimResourceType, attrPath: string): { attr: Attr; sub: string | null } {
  let name = String(attrPath).toLowerCase();
  if (name.startsWith(CORE_PREFIX[type])) name = name.slice(CORE_PREFIX[type].length);
  const table = type === 'User' ? USER_ATTRS : GROUP_ATTRS;
  const direct = table[name];
  if (direct) return { attr: direct, sub: null };
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const parent = table[name.slice(0, dot)];
    if (parent && !('kind' in parent)) return { attr: parent, sub: name.slice(dot + 1) };
  }
  throw new ScimFilterError(`${type}s cannot be filtered by "${attrPath}": filter by ${SCIM_FILTERABLE[type].join(', ')}`);
}

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);

function describeValue(v: unknown): string {
  return typeof v === 'string' ? 'a string' : v === null ? 'null' : `a ${typeof v}`;
}

/** One comparison on a scalar. */
function compare(name: string, s: Scalar, op: string, value: boolean | null | number | string): SQL {
  if (!OPS.has(op)) throw new ScimFilterError(`unknown filter operator "${op}"`);
  if (s.kind === 'bool') {
    if (typeof value !== 'boolean') throw new ScimFilterError(`"${name}" is boolean: compare it with true or false, not ${describeValue(value)}`);
    if (op === 'eq') return sql`(${s.expr} = ${value}::boolean)`;
    if (op === 'ne') return sql`(${s.expr} IS DISTINCT FROM ${value}::boolean)`;
    throw new ScimFilterError(`"${name}" is boolean: only eq, ne and pr apply to it, not ${op}`);
  }
  if (value === null) {
    if (op === 'eq') return sql`(${s.expr} IS NULL)`;
    if (op === 'ne') return sql`(${s.expr} IS NOT NULL)`;
    throw new ScimFilterError(`"${name}" ${op} null: only eq and ne compare with null`);
  }
  if (s.kind === 'time') {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      throw new ScimFilterError(`"${name}" is a date-time: compare it with a quoted ISO 8601 time such as "2024-05-13T04:42:34Z"`);
    }
    if (op === 'co' || op === 'sw' || op === 'ew') throw new ScimFilterError(`"${name}" is a date-time: ${op} does not apply to it`);
    const v = sql`${new Date(value).toISOString()}::timestamptz`;
    return comparison(s.expr, op, v);
  }
  if (typeof value !== 'string') throw new ScimFilterError(`"${name}" is a string: compare it with a quoted value, not ${describeValue(value)}`);
  const expr = s.kind === 'ci' ? sql`lower(${s.expr})` : s.expr;
  const v = s.kind === 'ci' ? sql`lower(${value}::text)` : sql`${value}::text`;
  switch (op) {
    case 'co':
      return sql`(strpos(${expr}, ${v}) > 0)`;
    case 'sw':
      return sql`starts_with(${expr}, ${v})`;
    case 'ew':
      return sql`(right(${expr}, char_length(${value}::text)) = ${v})`;
    default:
      return comparison(expr, op, v);
  }
}

function comparison(expr: SQL, op: string, v: SQL): SQL {
  switch (op) {
    case 'eq':
      return sql`(${expr} = ${v})`;
    case 'ne':
      return sql`(${expr} IS DISTINCT FROM ${v})`;
    case 'gt':
      return sql`(${expr} > ${v})`;
    case 'ge':
      return sql`(${expr} >= ${v})`;
    case 'lt':
      return sql`(${expr} < ${v})`;
    default:
      return sql`(${expr} <= ${v})`;
  }
}

function present(s: Scalar): SQL {
  return s.kind === 'ci' || s.kind === 'exact' ? sql`(${s.expr} IS NOT NULL AND ${s.expr} <> '')` : sql`(${s.expr} IS NOT NULL)`;
}

const MEMBERS_OF_R = sql.raw(`SELECT 1 FROM "scim_members" m WHERE m."tenant_id" = r."tenant_id" AND m."integration_id" = r."integration_id" AND m."group_id" = r."id"`);

function subScalar(type: ScimResourceType, attrPath: string, multi: Multi, sub: string): Scalar {
  const s = multi.sub[sub];
  if (!s) throw new ScimFilterError(`${type}s cannot be filtered by "${attrPath}": its sub-attributes are ${Object.keys(multi.sub).join(', ')}`);
  return s;
}

/** The filter on one element of a multi-valued attribute (inside `attr[…]`). */
function elementFilter(type: ScimResourceType, parent: string, multi: Multi, f: ScimFilter): SQL {
  switch (f.op) {
    case 'and':
    case 'or':
      return sql`(${sql.join(f.filters.map((x) => elementFilter(type, parent, multi, x)), sql.raw(f.op === 'and' ? ' AND ' : ' OR '))})`;
    case 'not':
      return sql`(NOT coalesce(${elementFilter(type, parent, multi, f.filter)}, false))`;
    case 'pr':
      return present(subScalar(type, `${parent}.${f.attrPath}`, multi, f.attrPath.toLowerCase()));
    case '[]':
      throw new ScimFilterError(`"${parent}[…]" cannot hold another […] filter`);
    default:
      return compare(`${parent}.${f.attrPath}`, subScalar(type, `${parent}.${f.attrPath}`, multi, f.attrPath.toLowerCase()), f.op, f.compValue);
  }
}

function membersFilter(attrPath: string, f: ScimFilter | null, sub: string | null): SQL {
  // members and members.value: the member's SCIM id, compared exactly.
  if (sub !== null && sub !== 'value') throw new ScimFilterError(`Groups cannot be filtered by "${attrPath}": filter members by value (a User's id)`);
  if (f === null) return sql`EXISTS (${MEMBERS_OF_R})`;
  if (f.op === 'eq' && (f.attrPath === undefined || f.attrPath.toLowerCase() === 'value' || sub !== null || f.attrPath.toLowerCase().startsWith('members'))) {
    if (typeof f.compValue !== 'string') throw new ScimFilterError('members are compared with a User id in quotes');
    return sql`EXISTS (${MEMBERS_OF_R} AND m."user_id" = ${f.compValue}::text)`;
  }
  throw new ScimFilterError('Groups can be filtered by members with eq only, e.g. members[value eq "USER-ID"] or members eq "USER-ID"');
}

/** The SQL condition of a filter on resources of one type (over scim_resources r). */
export function scimFilterSql(type: ScimResourceType, f: ScimFilter): SQL {
  if (!f || typeof f !== 'object' || typeof f.op !== 'string') throw new ScimFilterError('the filter is empty');
  switch (f.op) {
    case 'and':
    case 'or':
      return sql`(${sql.join(f.filters.map((x) => scimFilterSql(type, x)), sql.raw(f.op === 'and' ? ' AND ' : ' OR '))})`;
    case 'not':
      return sql`(NOT coalesce(${scimFilterSql(type, f.filter)}, false))`;
    case '[]': {
      const { attr, sub } = lookup(type, f.attrPath);
      if ('members' in attr) return membersFilter(f.attrPath, f.valFilter, sub);
      if ('kind' in attr || sub !== null) throw new ScimFilterError(`"${f.attrPath}" is not multi-valued: […] filters apply to multi-valued attributes such as emails`);
      return sql`EXISTS (SELECT 1 FROM ${attr.elements} WHERE ${elementFilter(type, f.attrPath, attr, f.valFilter)})`;
    }
    case 'pr': {
      const { attr, sub } = lookup(type, f.attrPath);
      if ('members' in attr) return membersFilter(f.attrPath, null, sub);
      if ('kind' in attr) return present(attr);
      if (sub === null) return sql`EXISTS (SELECT 1 FROM ${attr.elements})`;
      return sql`EXISTS (SELECT 1 FROM ${attr.elements} WHERE ${present(subScalar(type, f.attrPath, attr, sub))})`;
    }
    default: {
      const { attr, sub } = lookup(type, f.attrPath);
      if ('members' in attr) return membersFilter(f.attrPath, { ...f, attrPath: 'value' }, sub);
      if ('kind' in attr) return compare(f.attrPath, attr, f.op, f.compValue);
      const s = subScalar(type, f.attrPath, attr, sub ?? attr.primary);
      return sql`EXISTS (SELECT 1 FROM ${attr.elements} WHERE ${compare(f.attrPath, s, f.op, f.compValue)})`;
    }
  }
}
