import { describe, expect, it } from 'vitest';
import { forecastExhaustion, leastSquaresSlope } from '../../../src/modules/quotas/forecast.js';

const asOf = new Date('2025-06-15T12:00:00Z');
const series = (values: number[], lastDay = '2025-06-14') =>
  values.map((used, i) => ({ day: new Date(Date.parse(`${lastDay}T00:00:00Z`) - (values.length - 1 - i) * 86_400_000).toISOString().slice(0, 10), used }));

describe('burn-rate forecast', () => {
  it('fits the slope of a line', () => {
    expect(leastSquaresSlope([1, 3, 5, 7])).toBeCloseTo(2);
    expect(leastSquaresSlope([5])).toBe(0);
  });

  it('forecasts the day a steady burn exhausts the remainder', () => {
    const f = forecastExhaustion(series(Array(14).fill(100)), 1_000, asOf);
    expect(f.burn_rate_per_day).toBeCloseTo(100);
    expect(f.days_until_exhaustion).toBe(10);
    expect(f.forecast_exhaustion_date).toBe('2025-06-25');
  });

  it('uses only the newest 14 days and is not swung by a single day', () => {
    const old = series(Array(10).fill(10_000), '2025-05-01');
    const recent = series([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 400]);
    const f = forecastExhaustion([...old, ...recent], 10_000, asOf);
    expect(f.burn_rate_per_day!).toBeGreaterThan(100);
    expect(f.burn_rate_per_day!).toBeLessThan(150);
  });

  it('returns null when there is too little history, nothing is burning or nothing is left', () => {
    expect(forecastExhaustion(series([100, 100, 100]), 1_000, asOf).forecast_exhaustion_date).toBeNull();
    expect(forecastExhaustion(series(Array(14).fill(0)), 1_000, asOf)).toEqual({ burn_rate_per_day: 0, days_until_exhaustion: null, forecast_exhaustion_date: null });
    expect(forecastExhaustion(series(Array(14).fill(100)), 0, asOf)).toMatchObject({ days_until_exhaustion: 0, forecast_exhaustion_date: null });
    expect(forecastExhaustion([], 1_000, asOf).burn_rate_per_day).toBeNull();
  });

  it('treats missing days inside the window as no usage', () => {
    const sparse = series(Array(14).fill(100)).filter((_, i) => i % 2 === 0);
    const f = forecastExhaustion(sparse, 1_000, asOf);
    expect(f.burn_rate_per_day).toBeCloseTo(50, -1);
  });
});
