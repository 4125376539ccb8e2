import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';
import { redactUrl } from './lib/redact-url.js';

/**
 * Paths pino blanks out wherever they appear in a log line: credentials in headers, and any
 * password, secret, key or token field in logged objects (request bodies are never logged, but
 * service code may log objects that carry them).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.passwordHash',
  '*.password_hash',
  '*.secret',
  '*.client_secret',
  '*.clientSecret',
  '*.secret_ciphertext',
  '*.api_key',
  '*.apiKey',
  '*.access_token',
  '*.accessToken',
  '*.refresh_token',
  '*.refreshToken',
  '*.token',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
];

interface LoggedRequest {
  method?: unknown;
  url?: unknown;
  host?: unknown;
  ip?: unknown;
  socket?: { remotePort?: unknown } | null;
}

/**
 * Fastify's request serializer with the URL passed through `redactUrl`: a request refused for
 * carrying `?api_key=...` must not leave the key in the log line that records it.
 */
export function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

const redactLoggedUrl = (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url);

/** Pino options for the service: JSON lines, ISO time, secrets redacted (fields, headers and URLs). */
export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'simfleet' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest, url: redactLoggedUrl, api_url: redactLoggedUrl },
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** Creates the process logger (written to stdout; `destination` lets tests capture lines). */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(config)) : pino(loggerOptions(config), destination);
}
