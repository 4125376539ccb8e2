import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigError, loadClientConfig, loadDotEnv } from '../config.js';
import { startBridge } from './bridge.js';

/**
 * `npm run mcp`: the platform's MCP tools over stdio (see bridge.ts). stdout carries the protocol
 * only; every message for people goes to stderr. Exit codes: 2 configuration, 3 credential refused,
 * 4 platform unreachable.
 */

async function main(): Promise<number | undefined> {
  loadDotEnv();
  const config = loadClientConfig();
  if (config.apiKey === undefined && config.token === undefined) {
    process.stderr.write('simfleet mcp: set SIMFLEET_API_KEY (or SIMFLEET_TOKEN) to a credential of the platform at SIMFLEET_URL\n');
    return 2;
  }
  const transport = new StdioServerTransport();
  try {
    const bridge = await startBridge(config, transport);
    // The assistant closing our stdin ends the session.
    process.stdin.on('end', () => void bridge.close().finally(() => process.exit(0)));
    process.stderr.write(`simfleet mcp: serving the tools of ${new URL('/mcp', config.url).href} on stdio\n`);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const refused = /\b(401|403)\b/.test(message);
    process.stderr.write(`simfleet mcp: ${refused ? 'the platform refused the credential' : `cannot reach ${config.url.origin}`}: ${message.slice(0, 300)}\n`);
    return refused ? 3 : 4;
  }
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`simfleet mcp: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
