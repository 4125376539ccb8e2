import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import type { Diagnosis } from '../../api/types';
import { QueryView } from '../../components/states';

const TONE: Record<Diagnosis['verdict'], string> = { ok: 'ok', attention: 'warn', problem: 'bad', unknown: 'muted' };

/** The SIM's diagnosis: a verdict, the headline reason with its next step, and the other findings. */
export function DiagnosisPanel({ iccid }: { iccid: string }) {
  const diagnosis = useQuery({
    queryKey: ['diagnosis', iccid],
    queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/diagnosis', { params: { path: { iccid } } })),
  });
  return (
    <section className="card" aria-labelledby="diagnosis-h">
      <h2 id="diagnosis-h">Diagnosis</h2>
      <QueryView query={diagnosis} label="Diagnosing the SIM…">
        {(d) => (
          <div data-testid="diagnosis" data-verdict={d.verdict} data-code={d.code}>
            <p>
              <span className={`badge tone-${TONE[d.verdict]}`}>{d.verdict}</span> <strong>{d.headline}</strong>
            </p>
            <p className="muted small">Next step: {d.next_step}</p>
            {d.reasons.length > 1 && (
              <ul className="small">
                {d.reasons.slice(1).map((r) => (
                  <li key={r.code}>
                    {r.message} <span className="muted">({r.severity})</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </QueryView>
    </section>
  );
}
