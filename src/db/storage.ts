/**
 * The embedded database's directory must be writable and have room before PGlite opens it: PGlite
 * reports a failing write as a bare `ErrnoError` with an Emscripten errno (2, 51...) and may stop
 * half-way through creating a cluster. Checking first turns that into one sentence an operator can
 * act on, and leaves an existing cluster untouched.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Room a start needs: a fresh cluster is ~40 MB, and later starts write WAL and checkpoints. */
const PROBE_BYTES = 1_048_576;

/** Emscripten errno values PGlite's filesystem reports (emscripten/src/generated_struct_info). */
const EMSCRIPTEN_ERRNO: Record<number, string> = { 2: 'EACCES', 44: 'ENOENT', 51: 'ENOSPC', 63: 'EPERM', 69: 'EROFS', 29: 'EIO', 61: 'EDQUOT' };

const ADVICE: Record<string, string> = {
  EACCES: 'is not writable by this user (fix its owner or permissions)',
  EPERM: 'is not writable by this user (fix its owner or permissions)',
  EROFS: 'is on a read-only filesystem',
  ENOSPC: 'is on a full disk (free some space)',
  EDQUOT: 'is over its disk quota (free some space)',
  EIO: 'cannot be written (I/O error on the disk)',
  ENOTDIR: 'is not a directory',
};

/** Thrown when the embedded database's directory cannot be used; `code` is the errno name. */
export class DataDirectoryError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
    cause?: unknown,
  ) {
    super(
      `the embedded database directory ${dir} ${ADVICE[code] ?? `cannot be used (${code})`}; nothing was changed in it. ` +
        'Fix it and start again, or set DATABASE_URL to use PostgreSQL.',
      cause === undefined ? undefined : { cause },
    );
    this.name = 'DataDirectoryError';
  }
}

function codeOf(error: unknown): string {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  if (typeof code === 'string') return code;
  if (typeof errno === 'number') return EMSCRIPTEN_ERRNO[errno] ?? `errno ${errno}`;
  return 'unknown error';
}

/** Creates `dir` if needed and proves it takes a 1 MB write (then removes the probe); throws DataDirectoryError. */
export function assertWritableDirectory(dir: string): void {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(probe, 'w');
    writeSync(fd, Buffer.alloc(PROBE_BYTES));
    fsyncSync(fd);
  } catch (error) {
    throw new DataDirectoryError(dir, codeOf(error), error);
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/** Turns a PGlite open failure into a DataDirectoryError when it is a filesystem error. */
export function explainOpenFailure(dir: string, error: unknown): Error {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'ErrnoError' || typeof (error as { code?: unknown } | null)?.code === 'string') return new DataDirectoryError(dir, codeOf(error), error);
  return error instanceof Error ? error : new Error(String(error));
}
