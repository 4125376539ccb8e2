import { useSyncExternalStore } from 'react';
import { atLeast, currentSession, onSessionChange, type Role, type Session } from './session';

/** The signed-in session (or null), re-rendering on sign-in, refresh and sign-out. */
export function useSession(): Session | null {
  return useSyncExternalStore(onSessionChange, currentSession);
}

/** True when the signed-in user may do what `role` may: screens hide what a role cannot use. */
export function useCan(role: Role): boolean {
  return atLeast(useSession()?.role, role);
}
