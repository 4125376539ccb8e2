import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { JsonObject } from '../db/schema.js';
import { AppError, ValidationError } from '../errors.js';
import { enforcePolicy } from '../http/auth/authenticate.hook.js';
import { hostileInputErrors } from '../http/validation.js';
import type { Metrics } from '../metrics.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import { CONTROL_CHARACTERS } from '../lib/text.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import type { McpCaller, Tool } from './tool.js';
import { simTarget } from './tools/schemas.js';

/**
 * The MCP server of one caller: tools/list and tools/call over the tool registry. Every call is
 * checked in the order the REST edge checks a request (role, then hostile text and schema), runs
 * one platform service, and is audited and counted whatever its outcome. A failure is a tool
 * result with `isError` and the problem's code and detail, the same words the REST API would use;
 * nothing a caller sends can make it throw past this point.
 */

// ajv-formats is CommonJS; its default export arrives wrapped under some module settings.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Audited arguments are cut at this size: enough to see what was asked, never a stored payload. */
const MAX_AUDITED_ARGUMENTS = 2_000;
/** Field problems reported per call at most (as the REST edge does). */
const MAX_REPORTED = 10;

export interface McpServerDeps {
  tools: readonly Tool[];
  audit: Pick<AuditService, 'recordSafely'>;
  metrics: Pick<Metrics, 'mcp'>;
  logger: Pick<Logger, 'error'>;
}

/** Compiled argument validators, built once per registry (every request builds a server). */
export interface ToolCatalogue {
  tools: readonly Tool[];
  byName: ReadonlyMap<string, { tool: Tool; validate: ValidateFunction }>;
  listing: Array<Record<string, unknown>>;
}

/** Compiles the registry once: validators (strict: no coercion, no unknown members) and the tools/list answer. */
export function createToolCatalogue(tools: readonly Tool[]): ToolCatalogue {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: true, removeAdditional: false }));
  const byName = new Map<string, { tool: Tool; validate: ValidateFunction }>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`MCP tool ${tool.name} is declared twice`);
    byName.set(tool.name, { tool, validate: ajv.compile(tool.input) });
  }
  const listing = tools.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: `${tool.description} Requires the ${tool.policy} role.`,
    // TypeBox keeps its own markers non-enumerable: the JSON text is plain JSON Schema.
    inputSchema: JSON.parse(JSON.stringify(tool.input)) as Record<string, unknown>,
    annotations: {
      title: tool.title,
      readOnlyHint: tool.readOnly,
      destructiveHint: tool.destructive ?? false,
      idempotentHint: tool.idempotent ?? tool.readOnly,
      openWorldHint: false,
    },
  }));
  return { tools, byName, listing };
}

function outcomeOf(status: number): 'failure' | 'denied' {
  if (status === 401 || status === 403 || status === 429) return 'denied';
  return 'failure';
}

/** Arguments as stored in the audit entry: JSON, cut to a bounded size. */
function auditedArguments(args: unknown): JsonObject {
  let text: string;
  try {
    text = JSON.stringify(args ?? {});
  } catch {
    // Nesting too deep to serialise (refused by validation anyway): recorded as such, never thrown.
    return { arguments_unserialisable: true };
  }
  if (text.length <= MAX_AUDITED_ARGUMENTS) return { arguments: JSON.parse(text) as JsonObject };
  return { arguments_truncated: text.slice(0, MAX_AUDITED_ARGUMENTS) };
}

/** Validation failures as the REST API reports them: a 400 problem with field errors. */
function argumentErrors(validate: ValidateFunction, args: unknown): ValidationError | undefined {
  const hostile = hostileInputErrors(args, CONTROL_CHARACTERS);
  const problems = hostile.length > 0 ? hostile : validate(args) ? [] : (validate.errors ?? []);
  if (problems.length === 0) return undefined;
  const errors = problems.slice(0, MAX_REPORTED).map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
    const field = `${e.instancePath}${missing}${extra}`.replace(/^\//, '') || '(arguments)';
    const message = e.keyword === 'additionalProperties' ? 'is not an argument of this tool' : (e.message ?? 'is invalid');
    return { field, message };
  });
  return new ValidationError(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors, 'invalid_arguments');
}

/** A successful tool result: the service's answer as JSON text, and as structured content when it is an object. */
function resultOf(value: unknown): CallToolResult {
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  return {
    content: [{ type: 'text', text: JSON.stringify(value ?? null) }],
    ...(structured !== undefined && { structuredContent: structured }),
  };
}

/** A refused or failed call as a tool error: the problem document REST would answer, as JSON text. */
function errorOf(error: AppError): CallToolResult {
  const problem = { code: error.code, status: error.status, title: error.title, detail: error.detail ?? error.title, ...(error.errors !== undefined && { errors: error.errors }) };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }] };
}

/** Builds the MCP server answering one caller (one per HTTP request: the transport is stateless). */
export function createMcpServer(deps: McpServerDeps & { catalogue: ToolCatalogue }, caller: McpCaller): Server {
  const server = new Server(
    { name: SERVICE_NAME, version: VERSION, title: 'simfleet: IoT SIM fleet on 1NCE' },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'Tools over a fleet of IoT SIM cards on 1NCE. ICCIDs are 19 digits (or 20 with the Luhn digit). Volumes are bytes (1 MB = 1,048,576 bytes). ' +
        'Start with find_sims or get_fleet_summary; forecast_quota_exhaustion answers which SIMs run out of data this month. ' +
        'Mutating tools need the operator role and act at 1NCE; run bulk_dry_run before bulk_run.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: deps.catalogue.listing as never }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args = {} } = request.params;
    const entry = deps.catalogue.byName.get(name);
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(name.slice(0, 100))}; tools/list names them`);
    const { tool, validate } = entry;
    const started = process.hrtime.bigint();
    let result: CallToolResult;
    let outcome: 'success' | 'failure' | 'denied';
    let status = 200;
    let errorCode: string | undefined;
    try {
      enforcePolicy(tool.policy, caller.principal);
      const invalid = argumentErrors(validate, args);
      if (invalid !== undefined) throw invalid;
      result = resultOf(await tool.run(args as never, caller));
      outcome = 'success';
    } catch (error) {
      const known =
        error instanceof AppError
          ? error
          : new AppError('internal_error', 500, 'Internal error', { detail: 'The tool failed unexpectedly; the error is logged with this request id' });
      if (!(error instanceof AppError)) deps.logger.error({ err: error, tool: tool.name, request_id: caller.ctx.requestId }, 'mcp tool failed');
      result = errorOf(known);
      outcome = outcomeOf(known.status);
      status = known.status;
      errorCode = known.code;
    }
    deps.metrics.mcp.toolCalls.inc({ tool: tool.name, outcome });
    deps.metrics.mcp.toolDuration.observe({ tool: tool.name }, Number(process.hrtime.bigint() - started) / 1e9);
    await deps.audit.recordSafely({
      ...caller.ctx,
      action: `mcp.${tool.name}`,
      target: simTarget(args),
      outcome,
      statusCode: status,
      detail: { transport: caller.transport, read_only: tool.readOnly, ...auditedArguments(args), ...(errorCode !== undefined && { error_code: errorCode }) },
    });
    return result;
  });
  return server;
}
