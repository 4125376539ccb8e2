/** A labelled horizontal gauge (native <meter> semantics via role="meter"). */
export function Meter({ label, value, max, text, tone, marker }: { label: string; value: number; max: number; text: string; tone?: 'ok' | 'warn' | 'bad'; marker?: number }) {
  const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return (
    <div className="meter">
      <div className="meter-label">
        <span>{label}</span>
        <span>{text}</span>
      </div>
      <div className="meter-track" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value} aria-valuetext={text}>
        <div className={`meter-fill tone-${tone ?? 'ok'}`} style={{ width: `${pct}%` }} />
        {marker !== undefined && <div className="meter-marker" style={{ left: `${Math.max(0, Math.min(100, marker))}%` }} title="Alert threshold" />}
      </div>
    </div>
  );
}
