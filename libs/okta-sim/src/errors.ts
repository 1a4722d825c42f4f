/** Okta error bodies (https://developer.okta.com/docs/reference/error-codes/). `errorLink` equals `errorCode`; `errorId` is per response. */
import { randomBytes } from 'node:crypto';

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

export function oktaError(code: string, summary: string, causes: string[] = []): OktaErrorBody {
  return {
    errorCode: code,
    errorSummary: summary,
    errorLink: code,
    errorId: `oae${randomBytes(16).toString('base64url').slice(0, 22)}`,
    errorCauses: causes.map((errorSummary) => ({ errorSummary })),
  };
}

export const OKTA_ERRORS = {
  invalidToken: () => oktaError('E0000011', 'Invalid token provided'),
  forbidden: () => oktaError('E0000006', 'You do not have permission to perform the requested action'),
  notFound: (what: string) => oktaError('E0000007', `Not found: Resource not found: ${what}`),
  invalidSearch: (why: string) => oktaError('E0000031', 'Invalid search criteria.', [why]),
  invalidFilter: (why: string) => oktaError('E0000053', 'Invalid SCIM filter.', [why]),
  validation: (why: string) => oktaError('E0000001', `Api validation failed: ${why}`, [why]),
  rateLimited: () => oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'),
  internal: () => oktaError('E0000009', 'Internal Server Error'),
  /** Role targets asked of a role that takes none of that kind (seen in the field for a wrong role type). */
  roleTypeMismatch: () => oktaError('E0000091', 'The provided role type was not the same as required role type.'),
  methodNotAllowed: () => oktaError('E0000022', 'The endpoint does not support the provided HTTP method'),
};
