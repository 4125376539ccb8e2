/**
 * Exit codes of `npm run cli` for scripts (docs/cli.md). Distinct per kind of failure, so a
 * script can retry a server error but not a usage error.
 */
export const EXIT = {
  ok: 0,
  /** Something unexpected in the CLI itself. */
  internal: 1,
  /** Bad command line, or the platform refused the input (400, 409, 413, 415, 422). */
  usage: 2,
  /** No credential, or one the platform refused (401), or a role too low (403). */
  auth: 3,
  /** The SIM, job or file named does not exist (404, or a missing local file). */
  notFound: 4,
  /** The platform failed or could not be reached (5xx, 429 after retries, network, timeout). */
  server: 5,
  /** The work ran but not all of it succeeded (a bulk job with failed SIMs, or one that failed or was cancelled). */
  partial: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure that ends the command with `code` after printing `message` to stderr. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code of an HTTP status the platform answered with. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 429 || status >= 500) return EXIT.server;
  if (status >= 400) return EXIT.usage;
  return EXIT.ok;
}
