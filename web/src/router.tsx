/* eslint-disable @typescript-eslint/only-throw-error -- the router's redirect() is thrown by design */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, redirect, Outlet } from '@tanstack/react-router';
import { atLeast, currentSession, type Role } from './auth/session';
import { AppLayout } from './components/AppLayout';
import { Loading, ErrorState } from './components/states';
import { NotFound } from './components/NotFound';
import { parseSimSearch } from './routes/sims/filters';

/**
 * Every console route. Screens are loaded on demand (route-level code splitting): the first
 * screen ships only the shell, the sign-in form or the dashboard.
 */

const rootRoute = createRootRoute({ component: Outlet, notFoundComponent: NotFound });

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (search: Record<string, unknown>): { redirect?: string } =>
    typeof search.redirect === 'string' && search.redirect.startsWith('/') ? { redirect: search.redirect } : {},
  component: lazyRouteComponent(() => import('./routes/login/LoginPage')),
});

const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  component: AppLayout,
  beforeLoad: ({ location }) => {
    if (currentSession() === null) {
      throw redirect({ to: '/login', search: location.href === '/' ? {} : { redirect: location.href } });
    }
  },
});

/** A route only `role` may open; others are sent to the dashboard (the navigation hides it too). */
const guard = (role: Role) => () => {
  if (!atLeast(currentSession()?.role, role)) throw redirect({ to: '/' });
};

const screen = <TPath extends string>(path: TPath, load: () => Promise<{ default: React.ComponentType }>, role?: Role) =>
  createRoute({
    getParentRoute: () => appRoute,
    path,
    component: lazyRouteComponent(load),
    ...(role !== undefined && { beforeLoad: guard(role) }),
  });

export const dashboardRoute = screen('/', () => import('./routes/dashboard/DashboardPage'));
export const simsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sims',
  validateSearch: parseSimSearch,
  component: lazyRouteComponent(() => import('./routes/sims/SimsPage')),
});
export const simRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sims/$iccid',
  component: lazyRouteComponent(() => import('./routes/sim/SimDetailPage')),
});
const alertsRoute = screen('/alerts', () => import('./routes/alerts/AlertsPage'));
const bulkRoute = screen('/bulk-jobs', () => import('./routes/bulk/BulkJobsPage'));
const webhooksRoute = screen('/webhooks', () => import('./routes/webhooks/WebhooksPage'), 'admin');
const schedulerRoute = screen('/scheduler', () => import('./routes/scheduler/SchedulerPage'));
const auditRoute = screen('/audit', () => import('./routes/audit/AuditPage'), 'admin');
const usersRoute = screen('/users', () => import('./routes/users/UsersPage'), 'admin');
const keysRoute = screen('/api-keys', () => import('./routes/users/ApiKeysPage'));
const accountsRoute = screen('/accounts', () => import('./routes/accounts/AccountsPage'), 'admin');

const routeTree = rootRoute.addChildren([
  loginRoute,
  appRoute.addChildren([dashboardRoute, simsRoute, simRoute, alertsRoute, bulkRoute, webhooksRoute, schedulerRoute, auditRoute, usersRoute, keysRoute, accountsRoute]),
]);

/** Search params are plain strings in the URL (no JSON quoting), so a filter link stays readable. */
function parseSearch(search: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(search));
}

function stringifySearch(search: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(search)) {
    if (value === undefined || value === null || value === '') continue;
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : Array.isArray(value) ? value.join(',') : JSON.stringify(value);
    params.set(key, text);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export const router = createRouter({
  routeTree,
  parseSearch,
  stringifySearch,
  defaultPendingComponent: () => <Loading />,
  defaultErrorComponent: ({ error }) => <ErrorState error={error} />,
  defaultPreload: 'intent',
  scrollRestoration: true,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
