import type { UserRole } from '../../db/schema.js';

/** Roles from least to most privileged; a role includes every right of the roles before it. */
export const USER_ROLES: readonly UserRole[] = ['viewer', 'operator', 'admin'];

const RANK: Record<UserRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `actual` grants at least what `required` demands. */
export function roleSatisfies(actual: UserRole, required: UserRole): boolean {
  return RANK[actual] >= RANK[required];
}

/** The less privileged of two roles (an API key's cap applied to its owner's role). */
export function lowerRole(a: UserRole, b: UserRole | null | undefined): UserRole {
  if (b === null || b === undefined) return a;
  return RANK[a] <= RANK[b] ? a : b;
}
