/** The environment of the operator CLI and the stdio MCP bridge: how they reach a running platform. */
import { ConfigError, type Env } from './config.reader.js';

/** How the operator CLI and the stdio MCP bridge reach a running platform (docs/cli.md, docs/mcp.md). */
export interface ClientConfig {
  /** `SIMFLEET_URL`: the platform's origin (default http://127.0.0.1:8000). */
  url: URL;
  /** `SIMFLEET_API_KEY`: sent as X-API-Key. */
  apiKey: string | undefined;
  /** `SIMFLEET_TOKEN`: an access token sent as Authorization: Bearer (when no API key is set). */
  token: string | undefined;
}

/** Parses the client variables; throws a ConfigError naming each bad one. Credentials are optional here: commands ask for them. */
export function parseClientConfig(env: Env): ClientConfig {
  const problems: string[] = [];
  const text = env.SIMFLEET_URL?.trim() || 'http://127.0.0.1:8000';
  let url = new URL('http://127.0.0.1:8000');
  try {
    url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('SIMFLEET_URL must be an http(s) URL');
  } catch {
    problems.push('SIMFLEET_URL is not a URL');
  }
  const apiKey = env.SIMFLEET_API_KEY?.trim() || undefined;
  const token = env.SIMFLEET_TOKEN?.trim() || undefined;
  for (const [name, value] of [['SIMFLEET_API_KEY', apiKey], ['SIMFLEET_TOKEN', token]] as const) {
    if (value !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(value)) problems.push(`${name} must be printable ASCII without spaces`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { url, apiKey, token };
}
