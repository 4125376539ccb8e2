import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { describeError } from '../../api/problem';
import { signIn } from '../../auth/session';

/** Sign-in: username or e-mail and password; the session then lives in memory and a cookie. */
export default function LoginPage() {
  const navigate = useNavigate();
  const search = useSearch({ from: '/login' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(field(form, 'username'), field(form, 'password'));
      await navigate({ to: search.redirect ?? '/' });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={(e) => void submit(e)} aria-describedby={error === null ? undefined : 'login-error'}>
        <h1>simfleet</h1>
        <p className="muted">Sign in to the fleet console</p>
        <label htmlFor="username">Username</label>
        <input id="username" name="username" autoComplete="username" required autoFocus placeholder="username or e-mail" />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        {error !== null && (
          <p id="login-error" className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
