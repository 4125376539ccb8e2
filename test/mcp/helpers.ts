import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { TestApp } from '../helpers/app.js';

/** Starts the test app on a free loopback port; returns its origin. */
export async function listen(t: TestApp): Promise<string> {
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return address;
}

/** An SDK client connected to `<origin>/mcp` with these headers (an API key or a bearer token). */
export async function mcpClient(origin: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'simfleet-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', origin), { requestInit: { headers } }));
  return client;
}

/** Calls a tool and returns its result with the JSON payload parsed (any: tests read what they assert on). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; body: any; result: CallToolResult }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const first = result.content[0];
  const text = first?.type === 'text' ? first.text : 'null';
  return { isError: result.isError === true, body: JSON.parse(text), result };
}
