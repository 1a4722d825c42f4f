/**
 * Response validation against Okta's OpenAPI 3.0 spec with Ajv.
 *
 * Why not openapi-backend: it validates the whole document first, and Okta's spec fails that
 * check (499 errors, e.g. `$ref` with sibling keywords), after which it refuses to initialise.
 * So this builds Ajv validators from the spec's own schemas, translating the OpenAPI 3.0
 * dialect: `nullable: true` → "or null", `oneOf` → `anyOf` (Okta's polymorphic unions overlap),
 * and `discriminator` mappings are resolved here (pick the mapped schema by the property value)
 * instead of by Ajv. Everything else (types, enums, required, formats) is Ajv's.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';

type Schema = Record<string, unknown>;
type OpenApi = {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Schema> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Properties the spec types as non-null but real Okta responses send as `null`, with the
 * evidence (`samples/` = libs/normalize/src/testdata/okta-samples/). Only these are relaxed (to
 * "type or null"); everything else is validated as written.
 */
const WIRE_NULLS: { schema: string; property: string; evidence: string }[] = [
  { schema: 'ApplicationAccessibility', property: 'errorRedirectUrl', evidence: 'samples/app-saml.json, app-oidc.json (recorded responses)' },
  { schema: 'ApplicationAccessibility', property: 'loginRedirectUrl', evidence: 'samples/app-saml.json, app-oidc.json (recorded responses)' },
  { schema: 'LogActor', property: 'detailEntry', evidence: "samples/eventbridge-envelope.json; the spec's own ListLogs example" },
  { schema: 'LogEvent', property: 'legacyEventType', evidence: 'samples/logevents/04, 05, 09 (doc and recorded events)' },
  { schema: 'LogEvent', property: 'target', evidence: 'samples/logevents/07, 08 (user.session.* events carry no target)' },
  { schema: 'LogOutcome', property: 'reason', evidence: "samples/logevents/03; the spec's own ListLogs example" },
  { schema: 'AppUser', property: 'externalId', evidence: 'samples/app-users-list.json (recorded response)' },
  { schema: 'LogClient', property: 'id', evidence: 'samples/eventbridge-envelope.json (Okta help example)' },
  { schema: 'LogTarget', property: 'detailEntry', evidence: "samples/eventbridge-envelope.json; the spec's own ListLogs example" },
];

/**
 * Patterns in the spec that reject the spec's own examples, with the fix: only these are replaced.
 * TimeDuration (`ApiToken.tokenWindow`) writes the lookaheads of the usual ISO 8601 duration
 * pattern as non-capturing groups (`P(?:$)`), so it matches nothing but "P"; its examples
 * (`ApiTokenListMetadataResponse`: "P30D", "PT5M") need `P(?!$)` and `T(?=\d)`.
 */
const SPEC_PATTERN_FIXES: { schema: string; broken: string; fixed: string; evidence: string }[] = [
  {
    schema: 'TimeDuration',
    broken: '^P(?:$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?:\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$',
    fixed: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$',
    evidence: "the spec's ApiTokenListMetadataResponse example (tokenWindow P30D, PT5M)",
  },
];

function relaxWireNulls(schemas: Record<string, Schema>): Record<string, Schema> {
  const copy = { ...schemas };
  for (const { schema, broken, fixed } of SPEC_PATTERN_FIXES) {
    const s = copy[schema];
    if (!s || s.pattern !== broken) throw new Error(`SPEC_PATTERN_FIXES entry ${schema} no longer matches the spec; remove it`);
    copy[schema] = { ...s, pattern: fixed };
  }
  for (const { schema, property } of WIRE_NULLS) {
    const s = copy[schema];
    const props = s?.properties as Record<string, Schema> | undefined;
    if (!s || !props?.[property]) throw new Error(`WIRE_NULLS entry ${schema}.${property} is not in the spec any more; remove it`);
    copy[schema] = { ...s, properties: { ...props, [property]: { ...props[property], nullable: true } } };
  }
  return copy;
}
const DOC_ID = 'okta-spec';
const SKIP_KEYS = new Set(['discriminator', 'example', 'examples', 'nullable', 'xml', 'externalDocs', 'deprecated']);

/** OpenAPI 3.0 schema → JSON Schema Ajv understands (see module comment). */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const o = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(o)) {
    if (SKIP_KEYS.has(k) || k.startsWith('x-')) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([name, s]) => [name, convert(s)]));
    } else if (k === 'oneOf') {
      out.anyOf = convert(v);
    } else {
      out[k] = convert(v);
    }
  }
  if (o.nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

/** An inline schema (not a component) compiles on its own: its `$ref`s must name the spec document. */
function anchorRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(anchorRefs);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node as Schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOC_ID}${v}` : anchorRefs(v)]));
}

export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(private readonly spec: OpenApi) {
    this.ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas: convert(relaxWireNulls(spec.components.schemas)) } });
  }

  static load(path: string): SpecValidator {
    return new SpecValidator(YAML.parse(readFileSync(path, 'utf8')) as OpenApi);
  }

  /** Errors (empty when valid) of `body` as the response `status` of `method pathTemplate`. */
  validateResponse(pathTemplate: string, method: string, status: number, body: unknown): string[] {
    const op = this.spec.paths[pathTemplate]?.[method.toLowerCase()];
    if (!op) throw new Error(`the spec has no operation ${method} ${pathTemplate}`);
    let response = op.responses[String(status)];
    if (!response) throw new Error(`the spec defines no ${status} response for ${method} ${pathTemplate}`);
    if (typeof response.$ref === 'string') response = this.resolve(response.$ref);
    const schema = ((response.content as Record<string, { schema?: Schema }> | undefined)?.['application/json'])?.schema;
    if (!schema) throw new Error(`the ${status} response of ${method} ${pathTemplate} has no JSON schema`);
    const errors: string[] = [];
    this.check(schema, body, '', errors);
    return errors;
  }

  /** Errors of `body` against one component schema, e.g. `Error`. */
  validateComponent(name: string, body: unknown): string[] {
    if (!this.spec.components.schemas[name]) throw new Error(`the spec has no component schema ${name}`);
    const errors: string[] = [];
    this.check({ $ref: `#/components/schemas/${name}` }, body, '', errors);
    return errors;
  }

  private resolve(ref: string): Schema {
    const parts = ref.replace(/^#\//, '').split('/');
    let cur: unknown = this.spec;
    for (const p of parts) cur = (cur as Schema)[p];
    if (!cur) throw new Error(`unresolvable $ref ${ref}`);
    return cur as Schema;
  }

  private check(schema: Schema, data: unknown, at: string, errors: string[]): void {
    if (schema.type === 'array' && schema.items && Array.isArray(data)) {
      data.forEach((item, i) => this.check(schema.items as Schema, item, `${at}/${i}`, errors));
      return;
    }
    const target = typeof schema.$ref === 'string' ? this.resolve(schema.$ref) : schema;
    const disc = target.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
    if (disc?.mapping && data && typeof data === 'object') {
      const value = (data as Schema)[disc.propertyName];
      const mapped = typeof value === 'string' ? disc.mapping[value] : undefined;
      if (mapped && mapped !== schema.$ref) {
        this.run({ $ref: `${DOC_ID}${mapped}` }, mapped, data, at, errors);
        return;
      }
    }
    if (typeof schema.$ref === 'string') this.run({ $ref: `${DOC_ID}${schema.$ref}` }, schema.$ref, data, at, errors);
    else this.run(anchorRefs(convert(schema)) as Schema, JSON.stringify(schema), data, at, errors);
  }

  private run(schema: Schema, key: string, data: unknown, at: string, errors: string[]): void {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(key, fn);
    }
    if (!fn(data)) {
      for (const e of fn.errors ?? []) errors.push(`${at}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)} (${key})`);
    }
  }
}
