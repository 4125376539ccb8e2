import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { atLeast, type Role } from '../../auth/session';
import { useSession } from '../../auth/useSession';
import { Confirm } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime } from '../../lib/format';

/** API keys: your own (admins see everyone's); a new key is shown once and never again. */
export default function ApiKeysPage() {
  const session = useSession();
  const isAdmin = atLeast(session?.role, 'admin');
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const keys = useQuery({ queryKey: ['api-keys', isAdmin], queryFn: () => ok(api.GET('/api/v1/auth/api-keys', { params: { query: { all: isAdmin } } })) });
  const create = useMutation({
    mutationFn: (body: { name: string; role?: Role; expires_in_days?: number }) => ok(api.POST('/api/v1/auth/api-keys', { body })),
    onSuccess: (answer) => {
      const a = answer as unknown as { name: string; api_key: string };
      setCreated({ name: a.name, key: a.api_key });
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => ok(api.DELETE('/api/v1/auth/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const days = Number(f.get('days'));
    const role = field(f, 'role');
    create.mutate({ name: field(f, 'name'), ...(days > 0 && { expires_in_days: days }), ...(role !== '' && { role: role as Role }) });
    e.currentTarget.reset();
  };
  const roles: Role[] = (['viewer', 'operator', 'admin'] as Role[]).filter((r) => atLeast(session?.role, r));
  return (
    <>
      <h1>API keys</h1>
      <form className="card form-grid" onSubmit={submit} aria-label="New API key">
        <label>
          <span>Name</span>
          <input name="name" required maxLength={100} placeholder="e.g. billing export" />
        </label>
        <label>
          <span>Role cap</span>
          <select name="role" defaultValue="">
            <option value="">my role ({session?.role})</option>
            {roles.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Expires after days</span>
          <input name="days" type="number" min={1} max={3650} placeholder="never" />
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create key
          </button>
        </div>
      </form>
      {create.isError && (
        <p className="error-text" role="alert">
          {describeError(create.error)}
        </p>
      )}
      {created !== null && (
        <div className="card secret" role="status">
          <p>
            <strong>Key “{created.name}” created. Copy it now: it is shown only once.</strong>
          </p>
          <p>
            <code className="mono" data-testid="new-api-key">
              {created.key}
            </code>{' '}
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.key)}>
              Copy
            </button>{' '}
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      {revoke.isError && (
        <p className="error-text" role="alert">
          {describeError(revoke.error)}
        </p>
      )}
      <QueryView query={keys} isEmpty={(d) => d.length === 0} empty="No API keys yet.">
        {(d) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  {isAdmin && <th scope="col">Owner</th>}
                  <th scope="col">Role cap</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td className="mono">{k.prefix}…</td>
                    {isAdmin && <td>{k.username}</td>}
                    <td>{k.role_cap ?? 'owner’s role'}</td>
                    <td>{k.expires_at === null ? 'never' : formatDateTime(k.expires_at)}</td>
                    <td>{formatDateTime(k.last_used_at)}</td>
                    <td>
                      {k.revoked_at === null ? (
                        <Confirm trigger="Revoke" title={`Revoke “${k.name}”?`} description="Scripts using it stop working at once." confirmLabel="Revoke" danger onConfirm={() => revoke.mutate(k.id)} />
                      ) : (
                        `revoked ${formatDateTime(k.revoked_at)}`
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}
