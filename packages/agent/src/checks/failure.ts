// How checks report an expected failure: status `unknown` with a one-line reason, never a throw.
import type { CheckOutcome } from './types.js';

/** An `unknown` outcome: the check could not measure, and says why. */
export function unknownOutcome(message: string): CheckOutcome {
  return { status: 'unknown', metrics: {}, message };
}

/** A short reason for an error: the errno code and the message, or the name when it was an abort. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'AbortError') return 'timed out (aborted)';
    const code = (err as NodeJS.ErrnoException).code;
    const firstLine = err.message.split('\n', 1)[0] ?? '';
    return code !== undefined && !firstLine.startsWith(code) ? `${code}: ${firstLine}` : firstLine;
  }
  return String(err);
}

/** True for a Node error with this errno code (ENOENT, EACCES...). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}
