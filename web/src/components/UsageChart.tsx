import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes } from '../lib/format';

export interface ChartSeries {
  label: string;
  values: number[];
  color: string;
}

/**
 * A daily bytes chart (uPlot: canvas, ~50 KB, fast at thousands of points). The canvas is
 * decorative for assistive technology; the figure's caption and the table next to it carry the figures.
 */
export function UsageChart({ days, series, title, height = 220 }: { days: string[]; series: ChartSeries[]; title: string; height?: number }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40], align: 0 });
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => formatBytes(t)), size: 70 }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: `${s.color}33`,
            width: 2,
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatBytes(v)),
            ...(bars !== undefined && { paths: bars }),
          })),
        ],
        legend: { live: false },
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days, series, height]);

  return (
    <figure className="chart" aria-label={title}>
      <div ref={host} className="chart-canvas" data-testid="usage-chart" aria-hidden="true" />
      <figcaption className="sr-only">{title}</figcaption>
    </figure>
  );
}
