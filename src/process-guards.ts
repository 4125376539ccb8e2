import type { Logger } from 'pino';

/**
 * Process-level error policy (docs/adr/0008-start-up-and-process-safety.md):
 *
 * - An unhandled promise rejection is a bug, never a reason to stop serving: it is logged (secrets
 *   redacted) and counted in `simfleet_process_unhandled_rejections_total`, and the process keeps
 *   running. Node's default (exit on an unhandled rejection) would turn one bad job or request into
 *   an outage of every replica that meets the same data.
 * - An uncaught exception (a synchronous throw that escaped every handler) leaves the process in an
 *   unknown state: it is logged and counted in `simfleet_process_uncaught_exceptions_total`, then
 *   the platform drains gracefully and exits with code 1 so the supervisor (systemd, Kubernetes,
 *   Docker) restarts it. A second one during the drain exits at once.
 */

export interface ProcessCounters {
  unhandledRejections: { inc(): void };
  uncaughtExceptions: { inc(): void };
}

export interface ProcessGuards {
  /** Counts from now on in these metrics (they exist once the platform's registry does). */
  attach(counters: ProcessCounters): void;
  /** Removes the listeners (tests). */
  dispose(): void;
}

export interface ProcessGuardOptions {
  logger: Pick<Logger, 'error' | 'fatal'>;
  /** Called once for the first uncaught exception: drain and exit non-zero. */
  onUncaughtException(error: unknown): void;
  /** Defaults to the current process. */
  target?: Pick<NodeJS.Process, 'on' | 'removeListener'>;
  /** Ends the process at a second uncaught exception (default `process.exit`). */
  exit?: (code: number) => void;
}

/** Credentials that can appear inside error texts: URL user-info, bearer tokens, key=value secrets. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, '$1:[redacted]@'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(password|passwd|secret|client_secret|token|access_token|refresh_token|api_key|apikey)(["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi, '$1$2[redacted]'],
];

/** Removes credentials from free text (error messages and stacks) before it is logged. */
export function redactSecretsInText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A loggable, redacted view of anything thrown or rejected with. */
export function describeFailure(reason: unknown): { type: string; message: string; stack?: string; code?: string } {
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    return {
      type: reason.name,
      message: redactSecretsInText(reason.message),
      ...(reason.stack !== undefined && { stack: redactSecretsInText(reason.stack) }),
      ...(typeof code === 'string' && { code }),
    };
  }
  let text: string;
  try {
    text = typeof reason === 'string' ? reason : JSON.stringify(reason) ?? String(reason);
  } catch {
    text = String(reason);
  }
  return { type: typeof reason, message: redactSecretsInText(text) };
}

/** Installs the policy above on the process. Call once, as early as possible. */
export function installProcessGuards(options: ProcessGuardOptions): ProcessGuards {
  const target = options.target ?? process;
  let counters: ProcessCounters | undefined;
  let fatal = false;

  const onRejection = (reason: unknown) => {
    counters?.unhandledRejections.inc();
    options.logger.error({ err: describeFailure(reason) }, 'unhandled promise rejection (a bug; the process keeps running)');
  };
  const onException = (error: unknown) => {
    counters?.uncaughtExceptions.inc();
    options.logger.fatal({ err: describeFailure(error) }, 'uncaught exception: draining and exiting for a restart');
    if (fatal) {
      (options.exit ?? ((code: number) => process.exit(code)))(1);
      return;
    }
    fatal = true;
    options.onUncaughtException(error);
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return {
    attach(c) {
      counters = c;
    },
    dispose() {
      target.removeListener('unhandledRejection', onRejection);
      target.removeListener('uncaughtException', onException);
    },
  };
}
