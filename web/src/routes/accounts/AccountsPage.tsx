import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { Dialog } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime, formatNumber } from '../../lib/format';

/** Provider accounts (1NCE organisations), admins only: add, test the credentials, activate. */
export default function AccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useQuery({ queryKey: ['accounts'], queryFn: () => ok(api.GET('/api/v1/accounts')) });
  const test = useMutation({
    mutationFn: (id: string) => ok(api.POST('/api/v1/accounts/{id}/test', { params: { path: { id } } })),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['accounts'] }),
  });
  const toggle = useMutation({
    mutationFn: ({ id, is_active }: { id: string; is_active: boolean }) => ok(api.PATCH('/api/v1/accounts/{id}', { params: { path: { id } }, body: { is_active } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['accounts'] }),
  });
  const failure = test.error ?? toggle.error;
  return (
    <>
      <h1>Provider accounts</h1>
      <NewAccount />
      {failure !== null && (
        <p className="error-text" role="alert">
          {describeError(failure)}
        </p>
      )}
      {test.isSuccess && (
        <p role="status" className={test.data.ok ? 'ok-text' : 'error-text'}>
          {test.data.account.name}: {test.data.ok ? `credentials work, ${formatNumber(test.data.sims_total)} SIMs at 1NCE` : `failed: ${test.data.error?.detail ?? 'unknown error'}`}
        </p>
      )}
      <QueryView query={accounts} isEmpty={(d) => d.items.length === 0} empty="No provider accounts.">
        {(d) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">API</th>
                  <th scope="col">Client id</th>
                  <th scope="col" className="num">
                    SIMs
                  </th>
                  <th scope="col">Verified</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      {a.name} {a.is_default && <span className="badge">default</span>} {!a.is_active && <span className="badge">inactive</span>}
                    </td>
                    <td className="mono small">{a.api_url}</td>
                    <td className="mono">{a.client_id}</td>
                    <td className="num">{formatNumber(a.sim_count)}</td>
                    <td>
                      {formatDateTime(a.last_verified_at)}
                      {a.last_error !== null && <div className="error-text small">{a.last_error}</div>}
                    </td>
                    <td className="actions">
                      <button type="button" disabled={test.isPending} onClick={() => test.mutate(a.id)}>
                        Test
                      </button>
                      {!a.is_default && (
                        <button type="button" onClick={() => toggle.mutate({ id: a.id, is_active: !a.is_active })}>
                          {a.is_active ? 'Deactivate' : 'Activate'}
                        </button>
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

function NewAccount() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const create = useMutation({
    mutationFn: (body: { name: string; api_url: string; client_id: string; client_secret: string }) => ok(api.POST('/api/v1/accounts', { body })),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate({ name: field(f, 'name'), api_url: field(f, 'api_url'), client_id: field(f, 'client_id'), client_secret: field(f, 'client_secret') });
  };
  return (
    <>
      <p>
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          Add account
        </button>
      </p>
      <Dialog open={open} onOpenChange={setOpen} title="Add a 1NCE account" description="The secret is encrypted at rest and never shown again.">
        <form className="form-grid" onSubmit={submit}>
          <label className="wide">
            <span>Name</span>
            <input name="name" required maxLength={100} />
          </label>
          <label className="wide">
            <span>API URL</span>
            <input name="api_url" type="url" required defaultValue="https://api.1nce.com/management-api" />
          </label>
          <label>
            <span>Client id</span>
            <input name="client_id" required autoComplete="off" />
          </label>
          <label>
            <span>Client secret</span>
            <input name="client_secret" type="password" required autoComplete="new-password" />
          </label>
          {create.isError && (
            <p className="error-text wide" role="alert">
              {describeError(create.error)}
            </p>
          )}
          <div className="actions wide">
            <button type="submit" className="primary" disabled={create.isPending}>
              Add
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
