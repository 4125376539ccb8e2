import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { AppError, ValidationError } from '../../errors.js';
import { createMcpServer, createToolCatalogue, type McpServerDeps } from '../../mcp/server.js';
import type { Tool } from '../../mcp/tool.js';
import { auditContext, requireUser } from '../auth/request-context.js';

/**
 * `/mcp`: the Model Context Protocol over Streamable HTTP (docs/mcp.md, ADR 0020). Stateless: every
 * POST carries one JSON-RPC message, is authenticated and rate-limited like any API request (same
 * credentials, same per-caller limit), and is answered by a server built for that caller, so any
 * replica answers any request and a revoked key stops working on the next call. Not a REST
 * resource, so it is hidden from the OpenAPI document.
 */

/** GET (a server-initiated event stream) and DELETE (ending a session) need sessions, which this endpoint does not keep. */
class MethodNotAllowed extends AppError {
  constructor() {
    super('method_not_allowed', 405, 'Method not allowed', {
      detail: 'This MCP endpoint is stateless: send JSON-RPC messages with POST (no sessions, no server-initiated stream)',
      headers: { allow: 'POST' },
    });
  }
}

const LOCAL_URL = 'http://localhost/mcp';

/** The request headers the transport reads (content negotiation and MCP's own); the credential stays with the auth hook. */
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'];

/** Those headers as a Fetch `Headers`; a value Fetch would refuse is left out (the transport then answers 4xx). */
function webHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = request.headers[name];
    if (value === undefined) continue;
    try {
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    } catch {
      // Not a valid Fetch header value: treated as absent.
    }
  }
  return headers;
}

/** Registers /mcp with the tools of `tools` answering through `deps`. */
export function mcpRoutes(deps: Omit<McpServerDeps, 'tools'> & { tools: readonly Tool[] }) {
  const catalogue = createToolCatalogue(deps.tools);
  return async (app: FastifyInstance) => {
    const config = { policy: 'viewer' as const, audit: false as const };
    const schema = { hide: true };

    app.post('/mcp', { config, schema }, async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = requireUser(request);
      // MCP 2025-06-18 dropped JSON-RPC batches; one message per POST keeps one rate-limit unit per tool call.
      if (Array.isArray(request.body) && request.body.length > 1) {
        throw new ValidationError('Send one JSON-RPC message per request (batches are not accepted)', undefined, 'mcp_batch_not_supported');
      }
      const server = createMcpServer({ ...deps, catalogue }, { principal, ctx: auditContext(request), transport: 'http' });
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
      try {
        await server.connect(transport);
        // The transport reads only method, headers and the parsed body; a fixed URL keeps a hostile Host header out of `new Request`.
        const response = await transport.handleRequest(new Request(LOCAL_URL, { method: 'POST', headers: webHeaders(request) }), { parsedBody: request.body });
        const text = await response.text();
        reply.code(response.status);
        response.headers.forEach((value, name) => {
          if (name !== 'content-length' && name !== 'transfer-encoding') void reply.header(name, value);
        });
        return await reply.send(text === '' ? undefined : text);
      } finally {
        await server.close();
      }
    });

    const refuse = async () => {
      throw new MethodNotAllowed();
    };
    app.get('/mcp', { config, schema }, refuse);
    app.delete('/mcp', { config, schema }, refuse);
  };
}
