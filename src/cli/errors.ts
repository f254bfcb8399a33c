import { formatUserError, isUserError } from '../errors.js';

/** Exit codes: the same for every command (documented in the README). */
export const EXIT = { ok: 0, gateFailed: 1, usage: 2, partial: 3, interrupted: 130 } as const;

/** Runs a command action; user mistakes print one line and exit 2, bugs keep their stack. */
export async function guarded(action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(formatUserError(e) + '\n');
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
