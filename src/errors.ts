/** A mistake the user can fix: printed as one line with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The target server cannot be used (unreachable, refuses to publish): one line, exit code 2. */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}

/** Formats a user-facing error as one line: "rtbench: <what> (<how to fix>)". */
export function formatUserError(e: UsageError | TargetError): string {
  return `rtbench: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
}

export function isUserError(e: unknown): e is UsageError | TargetError {
  return e instanceof UsageError || e instanceof TargetError;
}
