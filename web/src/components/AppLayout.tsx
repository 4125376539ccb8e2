import { useEffect, useState, useSyncExternalStore } from 'react';
import { Link, Outlet, useNavigate, useRouter } from '@tanstack/react-router';
import { useQueryClient } from '@tanstack/react-query';
import { signOut, type Role } from '../auth/session';
import { useSession } from '../auth/useSession';
import { atLeast } from '../auth/session';
import { liveState, onLiveState, startLive } from '../live/live';
import { GlobalSearch } from './GlobalSearch';

const NAV: Array<{ to: string; label: string; role: Role }> = [
  { to: '/', label: 'Dashboard', role: 'viewer' },
  { to: '/sims', label: 'SIMs', role: 'viewer' },
  { to: '/alerts', label: 'Alerts', role: 'viewer' },
  { to: '/bulk-jobs', label: 'Bulk jobs', role: 'viewer' },
  { to: '/scheduler', label: 'Scheduler', role: 'viewer' },
  { to: '/webhooks', label: 'Webhooks', role: 'admin' },
  { to: '/audit', label: 'Audit log', role: 'admin' },
  { to: '/users', label: 'Users', role: 'admin' },
  { to: '/api-keys', label: 'API keys', role: 'viewer' },
  { to: '/accounts', label: 'Provider accounts', role: 'admin' },
];

const LIVE_TEXT = { open: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' } as const;

/** The signed-in shell: header (navigation, search, live status, user) around the screen. */
export function AppLayout() {
  const session = useSession();
  const navigate = useNavigate();
  const router = useRouter();
  const queryClient = useQueryClient();
  const live = useSyncExternalStore(onLiveState, liveState);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => startLive(queryClient), [queryClient]);

  // The session ended elsewhere (refresh refused, signed out in another way): back to sign-in.
  useEffect(() => {
    if (session === null) void navigate({ to: '/login', search: {} });
  }, [session, navigate]);

  useEffect(() => router.subscribe('onResolved', () => setMenuOpen(false)), [router]);

  if (session === null) return null;
  const role = session.role;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          simfleet
        </Link>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="primary-nav" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
        <GlobalSearch />
        <span className={`live live-${live}`} role="status" title="Live updates">
          <span className="dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
        <span className="user">
          {session.user.username} <span className="badge">{role}</span>
        </span>
        <button
          type="button"
          onClick={() => {
            void signOut().then(() => {
              queryClient.clear();
              return navigate({ to: '/login', search: {} });
            });
          }}
        >
          Sign out
        </button>
      </header>
      <nav id="primary-nav" aria-label="Main" className={menuOpen ? 'nav open' : 'nav'}>
        <ul>
          {NAV.filter((item) => atLeast(role, item.role)).map((item) => (
            <li key={item.to}>
              <Link to={item.to} activeOptions={{ exact: item.to === '/' }} activeProps={{ 'aria-current': 'page', className: 'active' }}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
