import type { UserRole } from '../../db/schema.js';

/**
 * Who is calling, resolved on every request from the cached lookups of auth-cache.ts, which every
 * deactivation, role or password change and key revocation invalidates, so the change applies to the
 * very next request. `role` is the effective role (an API key's cap applied).
 */
export type Principal =
  | { kind: 'user'; userId: number; username: string; role: UserRole; userRole: UserRole }
  | {
      kind: 'api_key';
      userId: number;
      username: string;
      role: UserRole;
      userRole: UserRole;
      apiKeyId: string;
      apiKeyName: string;
    }
  | { kind: 'streamer'; username: string };
