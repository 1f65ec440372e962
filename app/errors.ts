/**
 * Every failure a user can meet is an EmtError: a stable code (`E_DRIVE_TOO_SMALL`), one plain
 * sentence saying what happened, and a hint saying what to do about it. The GUI and the CLI show
 * all three; the IPC gate sends them as `{code, message, hint}`.
 */
export class EmtError extends Error {
  override readonly name = 'EmtError';

  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (!/^E_[A-Z0-9_]+$/.test(code)) throw new Error(`bad error code ${code}`);
    this.details = options?.details;
  }

  /** Machine-readable facts for `--json` output and logs (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  toJSON(): { code: string; message: string; hint: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isEmtError(e: unknown): e is EmtError {
  return e instanceof EmtError;
}

/** The error a cancelled job throws; callers tell it apart from failures. */
export function cancelledError(): EmtError {
  return new EmtError('E_CANCELLED', 'The operation was cancelled.', 'Start it again when you are ready.');
}

/** Throw E_CANCELLED if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

/**
 * Turn anything thrown into an EmtError, keeping EmtErrors as they are. Node system errors get a
 * code of their own so that the user reads "disk full" rather than "ENOSPC".
 */
export function toEmtError(e: unknown, context = 'The operation failed'): EmtError {
  if (e instanceof EmtError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const sys = err && typeof err === 'object' ? err.code : undefined;
  const where = err?.path ? ` (${err.path})` : '';
  switch (sys) {
    case 'ENOSPC':
      return new EmtError('E_DISK_FULL', `${context}: the disk is full${where}.`, 'Free some space or choose another folder, then try again.', { cause: e });
    case 'ENOENT':
      return new EmtError('E_NOT_FOUND', `${context}: a file or folder does not exist${where}.`, 'Check the path and try again.', { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new EmtError('E_PERMISSION', `${context}: permission denied${where}.`, 'Check the permissions of the file, or run with the rights it needs.', { cause: e });
    case 'EIO':
      return new EmtError('E_IO', `${context}: the device reported an input/output error${where}.`, 'The disk or stick may be failing or was unplugged. Try another one.', { cause: e });
    case 'EROFS':
      return new EmtError('E_READ_ONLY', `${context}: the target is read-only${where}.`, 'Check the write-protect switch of the stick, or choose another target.', { cause: e });
    default: {
      const msg = e instanceof Error ? e.message : String(e);
      return new EmtError('E_INTERNAL', `${context}: ${msg}`, 'This is a bug in EMT Media Builder. Save the log and report it.', { cause: e });
    }
  }
}
