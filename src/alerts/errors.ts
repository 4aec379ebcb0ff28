// Coded errors of alerting: callers (the API, the CLI) match `code`, never messages. None quotes a sink's URL, key or
// secret.

export class AlertError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertError';
    this.code = code;
  }
}

/** A silence that cannot be kept: what is wrong and where (matchers[1].value, endsAt, ...). */
export class SilenceInvalidError extends AlertError {
  readonly path: string;
  constructor(path: string, problem: string) {
    super('SILENCE_INVALID', `${path}: ${problem}`);
    this.name = 'SilenceInvalidError';
    this.path = path;
  }
}

export class SilenceNotFoundError extends AlertError {
  constructor(id: string) {
    super('SILENCE_NOT_FOUND', `no silence with id ${JSON.stringify(id)}`);
    this.name = 'SilenceNotFoundError';
  }
}

export class SinkNotFoundError extends AlertError {
  constructor(name: string, known: string[]) {
    super('SINK_NOT_FOUND', `no sink named ${JSON.stringify(name)} (sinks: ${known.join(', ') || 'none configured'})`);
    this.name = 'SinkNotFoundError';
  }
}

/** A sink that cannot be used here, e.g. the embedded lab's receiver outside `serve`. */
export class SinkUnavailableError extends AlertError {
  constructor(name: string, why: string) {
    super('SINK_UNAVAILABLE', `sink ${JSON.stringify(name)}: ${why}`);
    this.name = 'SinkUnavailableError';
  }
}
