import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { Link } from '@tanstack/react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import type { AlertRule } from '../../api/types';
import { useCan } from '../../auth/useSession';
import { Tabs } from '../../components/Tabs';
import { Confirm } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime, formatNumber } from '../../lib/format';

const STATES = ['open', 'acknowledged', 'resolved'] as const;
const SEVERITIES = ['critical', 'warning', 'info'] as const;
const METRICS = {
  data_used_pct: 'Data used (%)',
  sms_used_pct: 'SMS used (%)',
  expiry_days: 'Days until the quota expires',
  forecast_days: 'Days until data runs out (forecast)',
  offline_minutes: 'Minutes offline',
} as const;
/** Every metric a rule can watch: the threshold metrics above (the form offers them) and the anomaly detectors. */
const METRIC_LABELS = {
  ...METRICS,
  usage_spike: 'Usage spike (times the baseline)',
  silence_hours: 'Hours silent',
  device_change: 'Device changed (IMEI)',
  new_country: 'New country',
  new_operator: 'New network operator',
} as const;

/** Alerts (acknowledge, resolve) and the rules that raise them (admins edit). */
export default function AlertsPage() {
  return (
    <>
      <h1>Alerts</h1>
      <Tabs
        label="Alerts and rules"
        tabs={[
          { id: 'alerts', title: 'Alerts', content: <AlertList /> },
          { id: 'rules', title: 'Alert rules', content: <Rules /> },
        ]}
      />
    </>
  );
}

function AlertList() {
  const canOperate = useCan('operator');
  const queryClient = useQueryClient();
  const [state, setState] = useState<(typeof STATES)[number] | ''>('open');
  const [severity, setSeverity] = useState<(typeof SEVERITIES)[number] | ''>('');
  const [page, setPage] = useState(1);
  const alerts = useQuery({
    queryKey: ['alerts', state, severity, page],
    queryFn: () =>
      ok(api.GET('/api/v1/alerts', { params: { query: { page, page_size: 50, ...(state !== '' && { state }), ...(severity !== '' && { severity }) } } })),
    placeholderData: keepPreviousData,
  });
  const act = useMutation({
    mutationFn: ({ id, to }: { id: string; to: 'acknowledge' | 'resolve' }) =>
      to === 'acknowledge'
        ? ok(api.POST('/api/v1/alerts/{id}/acknowledge', { params: { path: { id } } }))
        : ok(api.POST('/api/v1/alerts/{id}/resolve', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['alerts'] }),
  });
  return (
    <>
      <div className="filters">
        <label>
          <span>State</span>
          <select value={state} onChange={(e) => (setState(e.target.value as typeof state), setPage(1))}>
            <option value="">Any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Severity</span>
          <select value={severity} onChange={(e) => (setSeverity(e.target.value as typeof severity), setPage(1))}>
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {act.isError && (
        <p className="error-text" role="alert">
          {describeError(act.error)}
        </p>
      )}
      <QueryView query={alerts} isEmpty={(d) => d.items.length === 0} empty="No alerts with these filters.">
        {(d) => (
          <>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Raised</th>
                    <th scope="col">Severity</th>
                    <th scope="col">SIM</th>
                    <th scope="col">Alert</th>
                    <th scope="col">State</th>
                    {canOperate && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.id}>
                      <td>{formatDateTime(a.raised_at)}</td>
                      <td>
                        <span className={`badge sev-${a.severity}`}>{a.severity}</span>
                      </td>
                      <td className="mono">
                        <Link to="/sims/$iccid" params={{ iccid: a.iccid }}>
                          {a.iccid}
                        </Link>
                      </td>
                      <td>
                        {a.message ?? `${a.metric} ${a.value ?? ''} (threshold ${a.threshold})`}
                        {a.rule_name !== null && <span className="muted small"> · {a.rule_name}</span>}
                      </td>
                      <td>{a.state}</td>
                      {canOperate && (
                        <td className="actions">
                          {a.state === 'open' && (
                            <button type="button" onClick={() => act.mutate({ id: a.id, to: 'acknowledge' })}>
                              Acknowledge
                            </button>
                          )}
                          {a.state !== 'resolved' && (
                            <button type="button" onClick={() => act.mutate({ id: a.id, to: 'resolve' })}>
                              Resolve
                            </button>
                          )}
                        </td>
                      )}
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

/** Previous/next paging for the smaller lists. */
export function SimplePager({ page, totalPages, total, onPage }: { page: number; totalPages: number; total: number; onPage: (p: number) => void }) {
  if (totalPages <= 1) return <p className="muted">{formatNumber(total)} in total</p>;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {formatNumber(page)} of {formatNumber(totalPages)} ({formatNumber(total)})
      </span>
      <button type="button" disabled={page >= totalPages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

function Rules() {
  const isAdmin = useCan('admin');
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['alerts', 'rules'], queryFn: () => ok(api.GET('/api/v1/alert-rules')) });
  const toggle = useMutation({
    mutationFn: (rule: AlertRule) => ok(api.PATCH('/api/v1/alert-rules/{id}', { params: { path: { id: rule.id } }, body: { enabled: !rule.enabled } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['alerts', 'rules'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE('/api/v1/alert-rules/{id}', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['alerts', 'rules'] }),
  });
  return (
    <>
      {isAdmin && <NewRule />}
      {(toggle.isError || remove.isError) && (
        <p className="error-text" role="alert">
          {describeError(toggle.error ?? remove.error)}
        </p>
      )}
      <QueryView query={rules} isEmpty={(d) => d.items.length === 0} empty="No alert rules yet.">
        {(d) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Applies to</th>
                  <th scope="col">Measure</th>
                  <th scope="col">Thresholds</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Enabled</th>
                  {isAdmin && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {d.items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.name}
                      {r.description !== null && <div className="muted small">{r.description}</div>}
                    </td>
                    <td>{r.scope === 'global' ? 'all SIMs' : `${r.scope} ${r.scope_value ?? ''}`}</td>
                    <td>{METRIC_LABELS[r.metric]}</td>
                    <td>{r.thresholds.join(', ')}</td>
                    <td>
                      <span className={`badge sev-${r.severity}`}>{r.severity}</span>
                    </td>
                    <td>{r.enabled ? 'yes' : 'no'}</td>
                    {isAdmin && (
                      <td className="actions">
                        <button type="button" onClick={() => toggle.mutate(r)}>
                          {r.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <Confirm trigger="Delete" title={`Delete the rule “${r.name}”?`} description="Its open alerts stay; no new ones are raised." confirmLabel="Delete" danger onConfirm={() => remove.mutate(r.id)} />
                      </td>
                    )}
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

function NewRule() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const create = useMutation({
    mutationFn: (body: { name: string; metric: keyof typeof METRICS; thresholds: number[]; severity: (typeof SEVERITIES)[number]; scope: 'global' | 'tag' | 'sim' | 'account'; scope_value: string | null }) =>
      ok(api.POST('/api/v1/alert-rules', { body })),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['alerts', 'rules'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const scope = field(f, 'scope') as 'global' | 'tag' | 'sim' | 'account';
    create.mutate({
      name: field(f, 'name'),
      metric: field(f, 'metric') as keyof typeof METRICS,
      thresholds: field(f, 'thresholds')
        .split(',')
        .map((t) => Number(t.trim()))
        .filter((n) => Number.isFinite(n)),
      severity: field(f, 'severity') as (typeof SEVERITIES)[number],
      scope,
      scope_value: scope === 'global' ? null : field(f, 'scope_value').trim(),
    });
  };
  if (!open)
    return (
      <p>
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          New rule
        </button>
      </p>
    );
  return (
    <form className="card form-grid" onSubmit={submit} aria-label="New alert rule">
      <label>
        <span>Name</span>
        <input name="name" required maxLength={100} />
      </label>
      <label>
        <span>Measure</span>
        <select name="metric">
          {Object.entries(METRICS).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Thresholds</span>
        <input name="thresholds" required placeholder="e.g. 80, 90, 100" />
      </label>
      <label>
        <span>Severity</span>
        <select name="severity" defaultValue="warning">
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        <span>Applies to</span>
        <select name="scope" defaultValue="global">
          <option value="global">all SIMs</option>
          <option value="tag">SIMs with a tag</option>
          <option value="sim">one SIM (ICCID)</option>
          <option value="account">one provider account (id)</option>
        </select>
      </label>
      <label>
        <span>Tag, ICCID or account id</span>
        <input name="scope_value" />
      </label>
      {create.isError && (
        <p className="error-text wide" role="alert">
          {describeError(create.error)}
        </p>
      )}
      <div className="actions wide">
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create rule
        </button>
      </div>
    </form>
  );
}
