import type { ConnectivityReport } from '@idgraph/okta';

/**
 * What went wrong managing an integration, by kind, so each face maps it its own way: the CLI to
 * an exit code (invalid → 2, else 1), the API to a status (400, 404, 409, 422).
 */
export type IntegrationErrorCode = 'invalid' | 'not_found' | 'conflict' | 'connectivity';

export class IntegrationError extends Error {
  constructor(
    readonly code: IntegrationErrorCode,
    message: string,
    /** For `connectivity`: the report that failed (what each resource said, what to grant). */
    readonly connectivity?: ConnectivityReport,
  ) {
    super(message);
    this.name = 'IntegrationError';
  }
}
