/** SCIM responses: resources from stored records, ListResponses, and the discovery documents. */
import type { ScimRecord } from '@idgraph/graph';
import { SCIM_ENTERPRISE_USER_SCHEMA, SCIM_GROUP_SCHEMA, SCIM_SCHEMAS, SCIM_USER_SCHEMA } from '@idgraph/normalize';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** Largest page a list answers (`count` above it is lowered, as RFC 7644 §3.4.2.4 allows). */
export const MAX_PAGE = 200;

type Json = Record<string, unknown>;

const endpoint = (type: 'User' | 'Group') => (type === 'User' ? 'Users' : 'Groups');

/** A resource as GET answers it: schemas, id, externalId, the stored attributes, groups/members, meta. */
export function renderResource(r: ScimRecord, base: string): Json {
  const { schemas, ...attributes } = r.resource;
  const location = `${base}/${endpoint(r.resourceType)}/${r.id}`;
  const out: Json = { schemas: schemas ?? [r.resourceType === 'User' ? SCIM_USER_SCHEMA : SCIM_GROUP_SCHEMA], id: r.id };
  if (r.externalId !== null) out.externalId = r.externalId;
  Object.assign(out, attributes);
  if (r.resourceType === 'User' && r.groups) {
    out.groups = r.groups.map((g) => ({ value: g.value, $ref: `${base}/Groups/${g.value}`, display: g.display, type: 'direct' }));
  }
  if (r.resourceType === 'Group' && r.members) {
    out.members = r.members.map((m) => ({ value: m.value, $ref: `${base}/Users/${m.value}`, display: m.display, type: 'User' }));
  }
  out.meta = { resourceType: r.resourceType, created: r.created.toISOString(), lastModified: r.lastModified.toISOString(), location, version: `W/"${r.version}"` };
  return out;
}

export function listResponse(resources: Json[], total: number, startIndex: number): Json {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on top-level attributes: a sub-attribute
 * path (`name.givenName`) keeps or drops its whole top-level attribute. schemas, id and meta.resourceType
 * are always returned.
 */
export function projectAttributes(resource: Json, attributes: string[] | null, excluded: string[] | null): Json {
  const top = (names: string[]) =>
    new Set(
      names.map((n) => {
        const lower = n.trim().toLowerCase();
        for (const urn of [SCIM_USER_SCHEMA, SCIM_GROUP_SCHEMA].map((u) => `${u.toLowerCase()}:`)) if (lower.startsWith(urn)) return lower.slice(urn.length).split('.')[0]!;
        if (lower.startsWith(SCIM_ENTERPRISE_USER_SCHEMA.toLowerCase())) return SCIM_ENTERPRISE_USER_SCHEMA.toLowerCase();
        return lower.split('.')[0]!;
      }),
    );
  const always = new Set(['schemas', 'id']);
  if (attributes) {
    const keep = top(attributes);
    return Object.fromEntries(Object.entries(resource).filter(([k]) => always.has(k) || keep.has(k.toLowerCase()) || k === 'meta'));
  }
  if (excluded) {
    const drop = top(excluded);
    return Object.fromEntries(Object.entries(resource).filter(([k]) => always.has(k) || !drop.has(k.toLowerCase())));
  }
  return resource;
}

export function serviceProviderConfig(base: string): Json {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The bearer token of this integration from `idgraph integration scim-token NAME`, sent as Authorization: Bearer TOKEN',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string): Json[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: SCIM_USER_SCHEMA,
      schemaExtensions: [{ schema: SCIM_ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: SCIM_GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

export function schemas(base: string): Json[] {
  return SCIM_SCHEMAS.map((s) => ({
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  }));
}
