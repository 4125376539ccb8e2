import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import type { Role } from '../../auth/session';
import { useSession } from '../../auth/useSession';
import { Confirm, Dialog } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime } from '../../lib/format';
import { SimplePager } from '../alerts/AlertsPage';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

/** Users (admins): create, change role, deactivate and reactivate. */
export default function UsersPage() {
  const me = useSession();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const users = useQuery({ queryKey: ['users', page], queryFn: () => ok(api.GET('/api/v1/users', { params: { query: { page, page_size: 50 } } })), placeholderData: keepPreviousData });
  const done = () => void queryClient.invalidateQueries({ queryKey: ['users'] });
  const setRole = useMutation({ mutationFn: ({ id, role }: { id: number; role: Role }) => ok(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body: { role } })), onSuccess: done });
  const deactivate = useMutation({ mutationFn: (id: number) => ok(api.POST('/api/v1/users/{id}/deactivate', { params: { path: { id } } })), onSuccess: done });
  const reactivate = useMutation({ mutationFn: (id: number) => ok(api.POST('/api/v1/users/{id}/reactivate', { params: { path: { id } } })), onSuccess: done });
  const failure = setRole.error ?? deactivate.error ?? reactivate.error;
  return (
    <>
      <h1>Users</h1>
      <NewUser />
      {failure !== null && (
        <p className="error-text" role="alert">
          {describeError(failure)}
        </p>
      )}
      <QueryView query={users} isEmpty={(d) => d.items.length === 0} empty="No users.">
        {(d) => (
          <>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">Status</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((u) => (
                    <tr key={u.id}>
                      <td>
                        {u.username}
                        {u.email !== null && <div className="muted small">{u.email}</div>}
                      </td>
                      <td>
                        <select aria-label={`Role of ${u.username}`} value={u.role} disabled={u.id === me?.user.id} onChange={(e) => setRole.mutate({ id: u.id, role: e.target.value as Role })}>
                          {ROLES.map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </select>
                      </td>
                      <td>{formatDateTime(u.last_login_at)}</td>
                      <td>{u.is_active ? 'active' : 'deactivated'}</td>
                      <td>
                        {u.id !== me?.user.id &&
                          (u.is_active ? (
                            <Confirm trigger="Deactivate" title={`Deactivate ${u.username}?`} description="Their sessions and API keys stop working at once." confirmLabel="Deactivate" danger onConfirm={() => deactivate.mutate(u.id)} />
                          ) : (
                            <button type="button" onClick={() => reactivate.mutate(u.id)}>
                              Reactivate
                            </button>
                          ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <SimplePager page={page} totalPages={d.total_pages} total={d.total} onPage={setPage} />
          </>
        )}
      </QueryView>
    </>
  );
}

function NewUser() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const create = useMutation({
    mutationFn: (body: { username: string; email?: string; password: string; role: Role }) => ok(api.POST('/api/v1/auth/register', { body })),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = field(f, 'email').trim();
    create.mutate({ username: field(f, 'username'), password: field(f, 'new-password'), role: field(f, 'role') as Role, ...(email !== '' && { email }) });
  };
  return (
    <>
      <p>
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          New user
        </button>
      </p>
      <Dialog open={open} onOpenChange={setOpen} title="New user">
        <form className="form-grid" onSubmit={submit}>
          <label>
            <span>Username</span>
            <input name="username" required maxLength={64} autoComplete="off" />
          </label>
          <label>
            <span>E-mail</span>
            <input name="email" type="email" />
          </label>
          <label>
            <span>Initial password</span>
            <input name="new-password" type="password" required minLength={12} autoComplete="new-password" />
          </label>
          <label>
            <span>Role</span>
            <select name="role" defaultValue="viewer">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          {create.isError && (
            <p className="error-text wide" role="alert">
              {describeError(create.error)}
            </p>
          )}
          <div className="actions wide">
            <button type="submit" className="primary" disabled={create.isPending}>
              Create user
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
