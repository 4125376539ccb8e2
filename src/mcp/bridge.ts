import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ClientConfig } from '../config.js';
import { SERVICE_NAME, VERSION } from '../version.js';

/**
 * `npm run mcp`: MCP over stdio for local assistants, as a bridge to a running platform's `/mcp`
 * (ADR 0020). The stdio side is a server the assistant spawns; the HTTP side is an SDK client
 * authenticated with SIMFLEET_API_KEY (or SIMFLEET_TOKEN). Tools, roles, audit, rate limits, the
 * shared 1NCE token and the governor all stay on the platform: the bridge holds no database
 * credential and works against any deployment, embedded PGlite and demo mode included.
 */

/** Credentials as request headers: an API key wins over a token. */
export function credentialHeaders(config: Pick<ClientConfig, 'apiKey' | 'token'>): Record<string, string> {
  if (config.apiKey !== undefined) return { 'x-api-key': config.apiKey };
  if (config.token !== undefined) return { authorization: `Bearer ${config.token}` };
  return {};
}

/** A call the platform could not answer (unreachable, refused the credential, rate limit) as a tool error the assistant can read. */
function bridgeError(error: unknown): CallToolResult {
  const status = error instanceof StreamableHTTPError ? error.code : undefined;
  const detail =
    status === 429
      ? 'The platform rate limit was reached; wait a second and retry'
      : status === 401 || status === 403
        ? 'The platform refused the credential (SIMFLEET_API_KEY / SIMFLEET_TOKEN)'
        : `The platform did not answer: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`;
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ code: status === undefined ? 'platform_unavailable' : `http_${status}`, detail }) }] };
}

export interface Bridge {
  close(): Promise<void>;
}

/**
 * Connects to `<url>/mcp` (failing fast when the platform is unreachable or refuses the credential)
 * and serves its tools on `local` (stdio in production, any transport in tests).
 */
export async function startBridge(config: ClientConfig, local: Transport): Promise<Bridge> {
  const remote = new Client({ name: `${SERVICE_NAME}-stdio-bridge`, version: VERSION });
  const endpoint = new URL('/mcp', config.url);
  // The user agent tells the bridge's calls apart in the platform's audit log.
  const headers = { ...credentialHeaders(config), 'user-agent': `${SERVICE_NAME}-mcp-stdio/${VERSION}` };
  await remote.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers } }));

  const server = new Server(
    { name: SERVICE_NAME, version: VERSION },
    { capabilities: { tools: { listChanged: false } }, ...(remote.getInstructions() !== undefined && { instructions: remote.getInstructions()! }) },
  );
  server.setRequestHandler(ListToolsRequestSchema, async (request) => remote.listTools(request.params));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    try {
      return (await remote.callTool(request.params)) as CallToolResult;
    } catch (error) {
      return bridgeError(error);
    }
  });
  await server.connect(local);
  return {
    async close() {
      await server.close();
      await remote.close();
    },
  };
}
