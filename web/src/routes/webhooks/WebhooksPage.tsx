import { field, fields } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { Confirm, Dialog } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime } from '../../lib/format';

const EVENTS = ['sim.status_changed', 'quota.threshold_reached', 'quota.exhausted', 'quota.forecast', 'sim.offline', 'sim.online', 'sms.received', 'bulk_job.finished'] as const;
type EventName = (typeof EVENTS)[number];

/** Outgoing webhooks: subscriptions, test-send and the delivery log. */
export default function WebhooksPage() {
  const queryClient = useQueryClient();
  const [log, setLog] = useState<string | null>(null);
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: () => ok(api.GET('/api/v1/webhooks')) });
  const test = useMutation({
    mutationFn: (id: string) => ok(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id } } })),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => ok(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id } }, body: { enabled } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  const failure = test.error ?? toggle.error ?? remove.error;
  return (
    <>
      <h1>Webhooks</h1>
      <NewWebhook />
      {failure !== null && (
        <p className="error-text" role="alert">
          {describeError(failure)}
        </p>
      )}
      {test.isSuccess && (
        <p role="status" className={test.data.status === 'delivered' ? 'ok-text' : 'warn-text'}>
          Test delivery {test.data.status}
          {test.data.last_status_code !== null ? ` (HTTP ${test.data.last_status_code}` : ' ('}
          {test.data.response_ms !== null ? `, ${test.data.response_ms} ms)` : ')'}
          {test.data.last_error !== null ? `: ${test.data.last_error}` : ''}
        </p>
      )}
      <QueryView query={hooks} isEmpty={(d) => d.items.length === 0} empty="No webhooks yet.">
        {(d) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Health</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((h) => (
                  <tr key={h.id}>
                    <td className="mono">
                      {h.url}
                      {h.description !== null && <div className="muted small">{h.description}</div>}
                    </td>
                    <td>{h.events.join(', ')}</td>
                    <td>
                      {h.enabled ? 'enabled' : `disabled${h.disabled_reason !== null ? ` (${h.disabled_reason})` : ''}`}
                      <div className="small muted">
                        last success {formatDateTime(h.last_success_at)}
                        {h.consecutive_failures > 0 && `, ${h.consecutive_failures} failures in a row`}
                      </div>
                    </td>
                    <td className="actions">
                      <button type="button" disabled={test.isPending} onClick={() => test.mutate(h.id)}>
                        Send test
                      </button>
                      <button type="button" onClick={() => setLog(h.id)}>
                        Deliveries
                      </button>
                      <button type="button" onClick={() => toggle.mutate({ id: h.id, enabled: !h.enabled })}>
                        {h.enabled ? 'Disable' : 'Enable'}
                      </button>
                      <Confirm trigger="Delete" title="Delete this webhook?" description={h.url} confirmLabel="Delete" danger onConfirm={() => remove.mutate(h.id)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <Dialog open={log !== null} onOpenChange={(o) => !o && setLog(null)} title="Delivery log" wide>
        {log !== null && <Deliveries id={log} />}
      </Dialog>
    </>
  );
}

function Deliveries({ id }: { id: string }) {
  const deliveries = useQuery({ queryKey: ['webhooks', id, 'deliveries'], queryFn: () => ok(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { page_size: 100 } } })) });
  return (
    <QueryView query={deliveries} isEmpty={(d) => d.items.length === 0} empty="No deliveries yet.">
      {(d) => (
        <div className="table-scroll short">
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((x) => (
                <tr key={x.id}>
                  <td>{formatDateTime(x.created_at)}</td>
                  <td>{x.event_type}</td>
                  <td>
                    <span className={`badge dl-${x.status}`}>{x.status}</span>
                  </td>
                  <td>
                    {x.attempts}
                    {x.next_attempt_at !== null && <div className="small muted">next {formatDateTime(x.next_attempt_at)}</div>}
                  </td>
                  <td>
                    {x.last_status_code ?? '—'} {x.response_ms !== null ? `${x.response_ms} ms` : ''} {x.last_error ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </QueryView>
  );
}

function NewWebhook() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const create = useMutation({
    mutationFn: (body: { url: string; secret: string; events: EventName[]; description: string | null }) => ok(api.POST('/api/v1/webhooks', { body })),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const description = field(f, 'description').trim();
    create.mutate({
      url: field(f, 'url'),
      secret: field(f, 'secret'),
      events: fields(f, 'events') as EventName[],
      description: description === '' ? null : description,
    });
  };
  return (
    <>
      <p>
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          New webhook
        </button>
      </p>
      <Dialog open={open} onOpenChange={setOpen} title="New webhook" description="Deliveries are signed with HMAC-SHA256 using the secret, and retried for 24 hours.">
        <form className="form-grid" onSubmit={submit}>
          <label className="wide">
            <span>URL</span>
            <input name="url" type="url" required placeholder="https://example.com/hooks/simfleet" />
          </label>
          <label className="wide">
            <span>Signing secret</span>
            <input name="secret" type="password" required minLength={16} autoComplete="new-password" />
          </label>
          <label className="wide">
            <span>Description</span>
            <input name="description" maxLength={200} />
          </label>
          <fieldset className="wide">
            <legend>Events</legend>
            {EVENTS.map((e) => (
              <label key={e} className="check">
                <input type="checkbox" name="events" value={e} defaultChecked={e.startsWith('quota')} /> {e}
              </label>
            ))}
          </fieldset>
          {create.isError && (
            <p className="error-text wide" role="alert">
              {describeError(create.error)}
            </p>
          )}
          <div className="actions wide">
            <button type="submit" className="primary" disabled={create.isPending}>
              Create
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
