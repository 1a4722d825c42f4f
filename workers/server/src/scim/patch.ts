/**
 * SCIM PATCH (RFC 7644 §3.5.2) on a stored resource, with scim-patch doing the work. Around it:
 * - the body is checked first (schemas, Operations) with scim-patch's own validation;
 * - op names are matched without case, and attribute names in paths are put in the schema's
 *   spelling (attribute names are case-insensitive, RFC 7643 §2.1; scim-patch is not);
 * - scim-patch 0.8.3 takes the last ':' of a path as the end of a schema URN, also inside a
 *   quoted filter value (`members[value eq "a:b"]`, scim-patch #1020): such colons are swapped
 *   for a private-use character in the path and in every string of the resource and values while
 *   it runs, and swapped back after (a request that carries that character itself is refused).
 */
import { patchBodyValidation, scimPatch, ScimError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { ENTERPRISE_USER_SCHEMA_DEF, GROUP_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA, SCIM_GROUP_SCHEMA, SCIM_USER_SCHEMA, USER_SCHEMA, type ScimAttribute } from '@idgraph/normalize';
import { ScimHttpError } from './errors.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const COLON_STAND_IN = '\uE000';

type Json = Record<string, unknown>;

/** scim-patch's error codes → RFC 7644 scimType. */
function patchError(err: unknown): ScimHttpError {
  const e = err as { scimCode?: unknown; message?: unknown };
  const code = typeof e.scimCode === 'string' ? e.scimCode : 'invalidSyntax';
  const scimType = ['invalidPath', 'noTarget', 'invalidValue', 'invalidSyntax', 'mutability'].includes(code) ? code : 'invalidSyntax';
  const message = String(e.message ?? err).replace(/^Invalid SCIM Patch: /, '').split(COLON_STAND_IN).join(':');
  return new ScimHttpError(400, scimType, `PATCH: ${message}`);
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, f);
    return out;
  }
  return value;
}

function carriesStandIn(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(COLON_STAND_IN);
}

/** Colons inside double-quoted parts of a path, swapped for the stand-in. */
function encodeQuotedColons(path: string): string {
  return path.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => quoted.split(':').join(COLON_STAND_IN));
}

interface Schemas {
  core: { urn: string; attributes: ScimAttribute[] };
  extensions: { urn: string; attributes: ScimAttribute[] }[];
}

const USER_SCHEMAS: Schemas = { core: { urn: SCIM_USER_SCHEMA, attributes: USER_SCHEMA.attributes }, extensions: [{ urn: SCIM_ENTERPRISE_USER_SCHEMA, attributes: ENTERPRISE_USER_SCHEMA_DEF.attributes }] };
const GROUP_SCHEMAS: Schemas = { core: { urn: SCIM_GROUP_SCHEMA, attributes: GROUP_SCHEMA.attributes }, extensions: [] };
const COMMON = ['id', 'externalId', 'meta', 'schemas'];

/** `name.GivenName` → `name.givenName` over a schema's attributes (unknown names are left as given). */
function canonicalDotted(path: string, attributes: readonly ScimAttribute[]): string {
  // Only the part before any filter bracket is an attribute path; a filter keeps its own spelling.
  const bracket = path.indexOf('[');
  const head = bracket < 0 ? path : path.slice(0, bracket);
  const rest = bracket < 0 ? '' : path.slice(bracket);
  let defs: readonly ScimAttribute[] | undefined = attributes;
  const parts = head.split('.').map((p, i) => {
    const common = i === 0 ? COMMON.find((c) => c.toLowerCase() === p.toLowerCase()) : undefined;
    if (common) return common;
    const def: ScimAttribute | undefined = defs?.find((d) => d.name.toLowerCase() === p.toLowerCase());
    defs = def?.subAttributes;
    return def ? def.name : p;
  });
  // After `attr[filter]`, a `.sub` may follow: canonical too.
  const close = rest.lastIndexOf(']');
  if (close >= 0 && rest.length > close + 1 && rest[close + 1] === '.') {
    const parent = attributes.find((d) => d.name.toLowerCase() === parts[0]!.toLowerCase());
    const sub = rest.slice(close + 2);
    const subDef = parent?.subAttributes?.find((d) => d.name.toLowerCase() === sub.toLowerCase());
    return `${parts.join('.')}${rest.slice(0, close + 2)}${subDef ? subDef.name : sub}`;
  }
  return parts.join('.') + rest;
}

/** A PATCH path with its schema URN and attribute names in canonical spelling. */
export function canonicalPath(path: string, schemas: Schemas): string {
  const lower = path.toLowerCase();
  const core = schemas.core.urn.toLowerCase();
  if (lower.startsWith(`${core}:`)) return canonicalDotted(path.slice(core.length + 1), schemas.core.attributes);
  for (const ext of schemas.extensions) {
    const urn = ext.urn.toLowerCase();
    if (lower === urn) return ext.urn;
    if (lower.startsWith(`${urn}:`)) return `${ext.urn}:${canonicalDotted(path.slice(urn.length + 1), ext.attributes)}`;
  }
  return canonicalDotted(path, schemas.core.attributes);
}

/**
 * Applies a PATCH request body to `doc` (the resource as GET answers it) and returns the patched
 * copy; throws ScimHttpError 400 with the RFC's scimType when the body or an operation is invalid.
 */
export function applyScimPatch(type: 'User' | 'Group', doc: Json, body: unknown): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScimHttpError(400, 'invalidSyntax', `a PATCH body is a JSON object {"schemas":["${PATCH_OP_SCHEMA}"],"Operations":[…]}`);
  }
  const b = body as Json;
  const opsKey = Object.keys(b).find((k) => k.toLowerCase() === 'operations');
  const request = { schemas: b.schemas, Operations: opsKey ? b[opsKey] : undefined };
  try {
    patchBodyValidation(request as never);
  } catch (err) {
    throw patchError(err);
  }
  const schemas = type === 'User' ? USER_SCHEMAS : GROUP_SCHEMAS;
  let colons = false;
  const ops = (request.Operations as Json[]).map((o, i) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ScimHttpError(400, 'invalidSyntax', `Operations[${i}] must be an object with op, path and value`);
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : o.op;
    if (o.path !== undefined && typeof o.path !== 'string') throw new ScimHttpError(400, 'invalidPath', `Operations[${i}].path must be a string`);
    let path = typeof o.path === 'string' ? canonicalPath(o.path.trim(), schemas) : undefined;
    if (path !== undefined && /"(?:[^"\\]|\\.)*:(?:[^"\\]|\\.)*"/.test(path)) {
      colons = true;
      path = encodeQuotedColons(path);
    }
    return { op, ...(path !== undefined ? { path } : {}), ...('value' in o ? { value: o.value } : {}) } as ScimPatchOperation;
  });
  let input: Json = doc;
  if (colons) {
    if (carriesStandIn(doc) || carriesStandIn(request.Operations)) {
      throw new ScimHttpError(400, 'invalidValue', 'the request carries the character U+E000, which this server cannot patch with; remove it');
    }
    input = mapStrings(doc, (s) => s.split(':').join(COLON_STAND_IN)) as Json;
    for (const o of ops) if ('value' in o) (o as { value?: unknown }).value = mapStrings(o.value, (s) => s.split(':').join(COLON_STAND_IN));
  }
  let out: Json;
  try {
    out = scimPatch(input as unknown as ScimResource, ops, { mutateDocument: false, treatMissingAsAdd: false }) as unknown as Json;
  } catch (err) {
    if (err instanceof ScimError || (err as { scimCode?: unknown }).scimCode !== undefined || err instanceof Error) throw patchError(err);
    throw err;
  }
  return colons ? (mapStrings(out, (s) => s.split(COLON_STAND_IN).join(':')) as Json) : out;
}
