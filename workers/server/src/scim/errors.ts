/** SCIM errors (RFC 7644 §3.12): the Error message schema, `status` as a string, `scimType` where the RFC defines one. */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An answer of the SCIM endpoint other than success; `detail` must hold nothing secret. */
export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | null,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimHttpError';
  }
}

export function scimErrorBody(status: number, detail: string, scimType?: string | null): Record<string, unknown> {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}
