import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { authFetch } from '../../api/client';
import { describeError, errorFromResponse } from '../../api/problem';
import { Dialog } from '../../components/Dialog';

interface ImportReport {
  applied: boolean;
  total: number;
  updated: number;
  unchanged: number;
  invalid: number;
  rows?: Array<{ line: number; iccid: string | null; outcome: string; errors: string[] }>;
}

/** CSV import of labels and tags: validated first (dry run), then applied all or nothing. */
export function ImportDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (dryRun: boolean) => {
    if (csv === null) return;
    setBusy(true);
    setError(null);
    try {
      const response = await authFetch(
        new Request(`/api/v1/sims/import?dry_run=${dryRun}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv }),
      );
      const body = response.headers.get('content-type')?.includes('json') === true ? ((await response.clone().json()) as ImportReport & { detail?: string }) : null;
      if (!response.ok && body?.total === undefined) throw await errorFromResponse(response);
      setReport(body);
      if (!dryRun && response.ok) await queryClient.invalidateQueries({ queryKey: ['sims'] });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) {
          setCsv(null);
          setReport(null);
          setError(null);
        }
      }}
      title="Import labels and tags"
      description="A CSV with the columns iccid, label, tags (tags separated by ;). An exported CSV imports unchanged. Every row is checked first; nothing is written if any row is invalid."
    >
      <label>
        <span>CSV file</span>
        <input
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => {
            const file = e.target.files?.[0];
            setReport(null);
            if (file !== undefined) void file.text().then(setCsv);
          }}
        />
      </label>
      {error !== null && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {report !== null && (
        <div role="status" className="report">
          <p>
            {report.applied ? 'Imported: ' : 'Checked: '}
            {report.total} rows, {report.updated} {report.applied ? 'updated' : 'to update'}, {report.unchanged} unchanged, {report.invalid} invalid.
          </p>
          {(report.rows ?? [])
            .filter((r) => r.errors.length > 0 || r.outcome === 'not_found')
            .slice(0, 20)
            .map((r) => (
              <p key={r.line} className="error-text">
                Line {r.line} ({r.iccid ?? 'no ICCID'}): {r.outcome} {r.errors.join('; ')}
              </p>
            ))}
        </div>
      )}
      <div className="actions">
        <button type="button" disabled={csv === null || busy} onClick={() => void send(true)}>
          Check
        </button>
        <button type="button" className="primary" disabled={csv === null || busy || report === null || report.invalid > 0 || report.applied} onClick={() => void send(false)}>
          Import
        </button>
      </div>
    </Dialog>
  );
}
