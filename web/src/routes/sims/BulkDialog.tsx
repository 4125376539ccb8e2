import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { Dialog } from '../../components/Dialog';
import { BulkJobProgress } from '../../components/BulkJobProgress';
import { SmsCounter } from '../sim/SmsCounter';
import { BULK_ACTIONS, bulkBody, describePreview, paramProblem, selectionSize, type BulkActionName, type BulkParamsInput, type BulkSelection, type DryRun } from './bulk';

/**
 * Bulk action in three steps: choose (action and its parameter), preview (the server's dry run of
 * the selection), run (confirmed; live progress, then the per-SIM result).
 */
export function BulkDialog({ open, onOpenChange, selection, onDone }: { open: boolean; onOpenChange: (open: boolean) => void; selection: BulkSelection; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [action, setAction] = useState<BulkActionName>('add_tag');
  const [params, setParams] = useState<BulkParamsInput>({});
  const [preview, setPreview] = useState<DryRun | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);

  const reset = () => {
    setPreview(null);
    setJobId(null);
  };

  const dryRun = useMutation({
    mutationFn: async () => (await ok(api.POST('/api/v1/bulk-jobs', { body: bulkBody(action, selection, params, true) }))) as unknown as DryRun,
    onSuccess: setPreview,
  });
  const run = useMutation({
    mutationFn: async () => (await ok(api.POST('/api/v1/bulk-jobs', { body: bulkBody(action, selection, params, false) }))) as unknown as { id: string },
    onSuccess: (job) => {
      setJobId(job.id);
      onDone();
      void queryClient.invalidateQueries({ queryKey: ['bulk-jobs'] });
    },
  });

  const problem = paramProblem(action, params);
  const described = preview === null ? null : describePreview(action, preview);
  const size = selectionSize(selection);

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) {
          reset();
          dryRun.reset();
          run.reset();
        }
      }}
      title="Bulk action"
      description={`${selection.kind === 'filter' ? 'Every SIM matching the filter' : 'The selected SIMs'}: ${size.toLocaleString('en-US')}.`}
      wide
    >
      {jobId === null ? (
        <>
          <div className="form-grid">
            <label>
              <span>Action</span>
              {/* aria-label: inside the <label>, the chosen option would otherwise join the name ("Action Add tag"). */}
              <select
                aria-label="Action"
                value={action}
                onChange={(e) => {
                  setAction(e.target.value as BulkActionName);
                  setPreview(null);
                }}
                disabled={preview !== null}
              >
                {Object.entries(BULK_ACTIONS).map(([name, a]) => (
                  <option key={name} value={name}>
                    {a.label}
                  </option>
                ))}
              </select>
            </label>
            {BULK_ACTIONS[action].param === 'label' && (
              <label>
                <span>New label</span>
                <input value={params.label ?? ''} maxLength={200} onChange={(e) => setParams({ ...params, label: e.target.value })} disabled={preview !== null} placeholder="empty clears the label" />
              </label>
            )}
            {BULK_ACTIONS[action].param === 'tag' && (
              <label>
                <span>Tag</span>
                <input value={params.tag ?? ''} maxLength={64} onChange={(e) => setParams({ ...params, tag: e.target.value })} disabled={preview !== null} />
              </label>
            )}
            {BULK_ACTIONS[action].param === 'message' && (
              <label className="wide">
                <span>Message</span>
                <textarea value={params.message ?? ''} rows={3} onChange={(e) => setParams({ ...params, message: e.target.value })} disabled={preview !== null} />
                <SmsCounter text={params.message ?? ''} />
              </label>
            )}
          </div>
          {problem !== null && <p className="muted">{problem}</p>}
          {dryRun.isError && (
            <p className="error-text" role="alert">
              {describeError(dryRun.error)}
            </p>
          )}
          {preview !== null && described !== null && (
            <section className="preview" aria-label="Dry-run preview" data-testid="bulk-preview">
              <p role="status">
                <strong>{described.text}</strong>
              </p>
              {described.warning !== null && <p className="warn-text">{described.warning}</p>}
              <p className="muted">
                Selection: {preview.total.toLocaleString('en-US')} · valid {preview.valid.toLocaleString('en-US')} · invalid {preview.invalid.toLocaleString('en-US')}
              </p>
              {preview.sample.length > 0 && (
                <details>
                  <summary>Sample of the selection</summary>
                  <ul className="mono plain">
                    {preview.sample.map((iccid) => (
                      <li key={iccid}>{iccid}</li>
                    ))}
                  </ul>
                </details>
              )}
              {(preview.expired ?? 0) > 0 && (
                <p className="warn-text">
                  {(preview.expired ?? 0).toLocaleString('en-US')} expired at 1NCE (listed as Enabled, but 1NCE refuses every change except an extension): they will fail.{' '}
                  <span className="mono">{(preview.expired_sample ?? []).slice(0, 5).join(', ')}</span>
                </p>
              )}
              {preview.invalid_sample.length > 0 && (
                <ul className="plain">
                  {preview.invalid_sample.map((i) => (
                    <li key={i.iccid} className="error-text">
                      <span className="mono">{i.iccid}</span>: {i.error}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
          {run.isError && (
            <p className="error-text" role="alert">
              {describeError(run.error)}
            </p>
          )}
          <div className="actions">
            {preview === null ? (
              <button type="button" className="primary" disabled={problem !== null || dryRun.isPending} onClick={() => dryRun.mutate()}>
                {dryRun.isPending ? 'Checking…' : 'Preview (dry run)'}
              </button>
            ) : (
              <>
                <button type="button" onClick={() => setPreview(null)}>
                  Back
                </button>
                <button type="button" className="danger" disabled={described?.canRun !== true || run.isPending} onClick={() => run.mutate()}>
                  {run.isPending ? 'Starting…' : `Confirm: ${BULK_ACTIONS[action].label.toLowerCase()} ${preview.valid.toLocaleString('en-US')} SIMs`}
                </button>
              </>
            )}
          </div>
        </>
      ) : (
        <BulkJobProgress id={jobId} />
      )}
    </Dialog>
  );
}
