import type { Static, TSchema } from 'typebox';
import type { ActorContext } from '../modules/sims/sim-ref.js';
import type { Principal } from '../modules/users/principal.js';

/**
 * One MCP tool: its name, the role it needs (the policy of the REST route doing the same thing),
 * a strict TypeBox input schema (the JSON Schema clients see, and what arguments are validated
 * against), and `run`, which calls one platform service, exactly as the REST handler does.
 */

/** Roles a tool may require; the same names and order as REST route policies. */
export type ToolPolicy = 'viewer' | 'operator' | 'admin';

/** Who is calling: the authenticated principal and the audit context services record provider actions with. */
export interface McpCaller {
  principal: Exclude<Principal, { kind: 'streamer' }>;
  ctx: ActorContext;
  /** How the call arrived: `http` (Streamable HTTP at /mcp); stdio sessions reach the server over http too. */
  transport: 'http';
}

export interface ToolDefinition<S extends TSchema> {
  name: string;
  title: string;
  description: string;
  policy: ToolPolicy;
  /** True for tools that change nothing (MCP `readOnlyHint`); the rest are audited as actions. */
  readOnly: boolean;
  /** Changes that cannot be taken back by calling again, e.g. an invoiced top-up (MCP `destructiveHint`). */
  destructive?: boolean;
  /** Calling twice with the same arguments has no further effect (MCP `idempotentHint`). */
  idempotent?: boolean;
  input: S;
  run(args: Static<S>, caller: McpCaller): Promise<unknown>;
}

/** A tool with its argument type erased, as the registry holds them. */
export type Tool = ToolDefinition<TSchema> & { run(args: never, caller: McpCaller): Promise<unknown> };

/** Declares a tool; the argument type of `run` follows from the input schema. */
export function defineTool<S extends TSchema>(tool: ToolDefinition<S>): Tool {
  return tool;
}
