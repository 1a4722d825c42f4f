/** An HTTP answer of the simulator, and the error that carries one out of a route. */
export interface Reply {
  status: number;
  body: unknown;
  links?: string[];
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}
