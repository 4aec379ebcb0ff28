// Coded API errors: callers (and the error handler) match `code`, not messages.
export class ApiError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, statusCode: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

export class ClusterNotFoundError extends ApiError {
  constructor(name: string) {
    super('CLUSTER_NOT_FOUND', 404, `no cluster named ${JSON.stringify(name)} in the fleet`);
  }
}

export class ProbeNotFoundError extends ApiError {
  constructor(name: string, known: readonly string[]) {
    super('PROBE_NOT_FOUND', 404, `no probe named ${JSON.stringify(name)} (probes: ${known.join(', ')})`);
  }
}
