import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { sweepFleet } from '../modules/sims/fixtures.js';
import { listen } from './helpers.js';

/** `npm run mcp` as an assistant runs it: a child process speaking MCP on stdio, bridged to a running platform. */

const ENTRY = ['--import', 'tsx', 'src/mcp/stdio.ts'];

/** Runs the stdio entry with `env` and no client; resolves with its exit code and stderr. */
function runBare(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ENTRY, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('MCP over stdio (npm run mcp)', () => {
  let t: TestApp;
  let origin: string;
  let apiKey: string;

  beforeAll(async () => {
    t = await buildTestApp({ simulator: { fleetSize: 8 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    await sweepFleet(t);
    origin = await listen(t);
    apiKey = (await authHeaders(t, 'viewer'))['x-api-key']!;
  });
  afterAll(async () => t.close());

  it('serves the platform tools to an SDK client on stdio, as the key\'s user, audited on the platform', async () => {
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ENTRY,
      env: { PATH: process.env.PATH ?? '', SIMFLEET_URL: origin, SIMFLEET_API_KEY: apiKey },
      stderr: 'pipe',
    });
    await client.connect(transport);
    try {
      expect(client.getInstructions()).toMatch(/forecast_quota_exhaustion/);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('find_sims');
      const found = await client.callTool({ name: 'find_sims', arguments: { page_size: 3 } });
      const body = JSON.parse((found.content as Array<{ text: string }>)[0]!.text) as { total: number; items: unknown[] };
      expect(body.total).toBe(8);
      expect(body.items).toHaveLength(3);
      const refused = await client.callTool({ name: 'set_sim_status', arguments: { iccid: '8988280666000000019', status: 'Disabled' } });
      expect(refused.isError).toBe(true);
      const bad = await client.callTool({ name: 'find_sims', arguments: { page_size: 'many' } });
      expect(bad.isError).toBe(true);
    } finally {
      await client.close();
    }
    const entries = await t.deps.database.db.selectFrom('audit_log').select(['action', 'outcome', 'actor_type', 'user_agent']).where('action', 'like', 'mcp.%').orderBy('id').execute();
    const agent = expect.stringMatching(/^simfleet-mcp-stdio\//);
    expect(entries).toEqual([
      { action: 'mcp.find_sims', outcome: 'success', actor_type: 'api_key', user_agent: agent },
      { action: 'mcp.set_sim_status', outcome: 'denied', actor_type: 'api_key', user_agent: agent },
      { action: 'mcp.find_sims', outcome: 'failure', actor_type: 'api_key', user_agent: agent },
    ]);
  });

  it('exits 2 without a credential, 3 when the platform refuses it, 4 when nothing answers', async () => {
    const missing = await runBare({ SIMFLEET_URL: origin });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SIMFLEET_API_KEY/);
    const refused = await runBare({ SIMFLEET_URL: origin, SIMFLEET_API_KEY: 'sfk_wrong' });
    expect(refused.code).toBe(3);
    const unreachable = await runBare({ SIMFLEET_URL: 'http://127.0.0.1:9', SIMFLEET_API_KEY: apiKey });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).not.toContain(apiKey);
  });
});
