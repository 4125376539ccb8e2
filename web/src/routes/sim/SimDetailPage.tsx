import { useState } from 'react';
import { Link } from '@tanstack/react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import type { Body, SimDetail } from '../../api/types';
import { useCan } from '../../auth/useSession';
import { Confirm } from '../../components/Dialog';
import { ErrorState, Loading } from '../../components/states';
import { formatDateTime, NOT_ON_A_NETWORK, relativeTime } from '../../lib/format';
import { simRoute } from '../../router';
import { ConnectivityPanel, EventsPanel, QuotaPanel, TopUp } from './panels';
import { DiagnosisPanel } from './DiagnosisPanel';
import { SmsPanel } from './SmsPanel';
import { UsagePanel } from './UsagePanel';

/** One SIM: identity with inline editing, actions, diagnosis, usage, quotas, connectivity, events and SMS. */
export default function SimDetailPage() {
  const { iccid } = simRoute.useParams();
  const sim = useQuery({ queryKey: ['sim', iccid], queryFn: () => ok(api.GET('/api/v1/sims/{iccid}', { params: { path: { iccid } } })) });

  if (sim.isPending) return <Loading label="Loading the SIM…" />;
  if (sim.data === undefined) {
    return (
      <>
        <p>
          <Link to="/sims">← SIMs</Link>
        </p>
        <ErrorState error={sim.error} retry={() => void sim.refetch()} />
      </>
    );
  }
  const s = sim.data;
  return (
    <>
      <p className="crumbs">
        <Link to="/sims">← SIMs</Link>
      </p>
      <div className="page-head">
        <h1>
          {s.label ?? 'SIM'} <span className="mono muted">{s.iccid}</span>
        </h1>
        <span className={`badge st-${(s.status ?? 'unknown').toLowerCase()}`}>{s.status ?? 'unknown'}</span>
        <span className={`badge st-${(s.connectivity_status ?? 'unknown').toLowerCase()}`} data-testid="sim-connectivity">{s.connectivity_status ?? NOT_ON_A_NETWORK}</span>
      </div>
      <div className="detail-grid">
        <Identity sim={s} />
        <Actions sim={s} />
        <DiagnosisPanel iccid={s.iccid} />
        <UsagePanel iccid={s.iccid} />
        <QuotaPanel iccid={s.iccid} />
        <ConnectivityPanel iccid={s.iccid} />
        <SmsPanel iccid={s.iccid} />
        <EventsPanel iccid={s.iccid} />
      </div>
    </>
  );
}

type Patch = Body<'/api/v1/sims/{iccid}', 'patch'>;

function usePatch(iccid: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Patch) => ok(api.PATCH('/api/v1/sims/{iccid}', { params: { path: { iccid } }, body })),
    onSuccess: (result) => {
      queryClient.setQueryData<SimDetail>(['sim', iccid], (old) => (old === undefined ? old : { ...old, ...result.sim }));
      void queryClient.invalidateQueries({ queryKey: ['sims'] });
    },
  });
}

function Identity({ sim }: { sim: SimDetail }) {
  const canEdit = useCan('operator');
  const patch = usePatch(sim.iccid);
  const field = (label: string, value: string | null) => (
    <>
      <dt>{label}</dt>
      <dd className="mono">{value ?? '—'}</dd>
    </>
  );
  return (
    <section className="card" aria-labelledby="identity-h">
      <h2 id="identity-h">Identity</h2>
      <dl className="facts">
        {field('ICCID', sim.iccid_with_luhn ?? sim.iccid)}
        {field('IMSI', sim.imsi)}
        {field('MSISDN', sim.msisdn)}
        {field('IMEI', sim.imei)}
        {field('IP address', sim.ip_address)}
        <dt>Label</dt>
        <dd>
          <InlineEdit label="Label" value={sim.label ?? ''} canEdit={canEdit} onSave={(label) => patch.mutateAsync({ label })} />
        </dd>
        <dt>Tags</dt>
        <dd>
          <InlineEdit
            label="Tags"
            value={sim.tags.join(', ')}
            canEdit={canEdit}
            hint="comma-separated"
            onSave={(text) =>
              patch.mutateAsync({
                tags: text
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
              })
            }
          />
        </dd>
        <dt>Custom fields</dt>
        <dd>
          <InlineEdit
            label="Custom fields"
            value={Object.keys(sim.custom_fields).length === 0 ? '' : JSON.stringify(sim.custom_fields)}
            canEdit={canEdit}
            hint='JSON object, e.g. {"vehicle":"B-XY 123"}; a null value removes a key'
            onSave={async (text) => {
              let value: unknown;
              try {
                value = text.trim() === '' ? {} : JSON.parse(text);
              } catch {
                throw new Error('Custom fields must be a JSON object.');
              }
              if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('Custom fields must be a JSON object.');
              await patch.mutateAsync({ custom_fields: value as NonNullable<Patch['custom_fields']> });
            }}
          />
        </dd>
        <dt>Account</dt>
        <dd className="mono">{sim.account_id}</dd>
        <dt>Activated</dt>
        <dd>{formatDateTime(sim.activation_date)}</dd>
        <dt>Synced from 1NCE</dt>
        <dd>{relativeTime(sim.freshness.last_synced_at)}</dd>
      </dl>
    </section>
  );
}

/** Shows a value with an Edit button; Enter saves, Escape cancels; the server's refusal is shown inline. */
export function InlineEdit({ label, value, canEdit, onSave, hint }: { label: string; value: string; canEdit: boolean; onSave: (value: string) => Promise<unknown>; hint?: string }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!editing) {
    return (
      <span className="inline-edit">
        <span>{value === '' ? <span className="muted">none</span> : value}</span>
        {canEdit && (
          <button type="button" className="link" onClick={() => (setDraft(value), setEditing(true), setError(null))} aria-label={`Edit ${label.toLowerCase()}`}>
            Edit
          </button>
        )}
      </span>
    );
  }
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await onSave(draft);
      setEditing(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="inline-edit editing"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <input
        aria-label={label}
        value={draft}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
      />
      <button type="submit" className="primary" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {hint !== undefined && <span className="muted small">{hint}</span>}
      {error !== null && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function Actions({ sim }: { sim: SimDetail }) {
  const canOperate = useCan('operator');
  const patch = usePatch(sim.iccid);
  const enabled = sim.status === 'Enabled';
  return (
    <section className="card" aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      {!canOperate ? (
        <p className="muted">Your role can view this SIM but not change it.</p>
      ) : (
        <>
          <div className="actions wrap">
            <Confirm
              trigger={enabled ? 'Disable SIM' : 'Enable SIM'}
              title={enabled ? 'Disable this SIM?' : 'Enable this SIM?'}
              description={enabled ? 'The device loses data and SMS service until the SIM is enabled again.' : 'The SIM can use data and SMS again.'}
              confirmLabel={enabled ? 'Disable' : 'Enable'}
              danger={enabled}
              disabled={patch.isPending}
              onConfirm={() => patch.mutate({ status: enabled ? 'Disabled' : 'Enabled' })}
            />
            <Confirm
              trigger={sim.imei_lock ? 'Unlock IMEI' : 'Lock IMEI'}
              title={sim.imei_lock ? 'Unlock the IMEI?' : 'Lock the SIM to its IMEI?'}
              description={sim.imei_lock ? 'The SIM will work in any device.' : `The SIM will only work in the device with IMEI ${sim.imei ?? '(not reported yet)'}.`}
              confirmLabel={sim.imei_lock ? 'Unlock' : 'Lock'}
              disabled={patch.isPending}
              onConfirm={() => patch.mutate({ imei_lock: !sim.imei_lock })}
            />
            <TopUp iccid={sim.iccid} />
          </div>
          {patch.isError && (
            <p className="error-text" role="alert">
              {describeError(patch.error)}
            </p>
          )}
          {patch.isSuccess && (
            <p role="status" className="ok-text">
              Saved{patch.data.applied.provider.length > 0 ? ` at 1NCE (${patch.data.applied.provider.join(', ')})` : ''}.
            </p>
          )}
        </>
      )}
      <p className="muted small">IMEI lock: {sim.imei_lock ? 'on' : 'off'}</p>
    </section>
  );
}
