/**
 * Fault injection: each request to the 1NCE surface may be turned into one of the failures a
 * client must survive. Rates are probabilities per request, drawn from a seeded PRNG so a run
 * with the same seed and request sequence fails the same way.
 */
import { mulberry32 } from './prng.js';

/** Probability (0..1) of each fault per request. */
export interface FaultRates {
  serverError: number;
  timeout: number;
  malformedJson: number;
  htmlUnavailable: number;
  tokenInvalidation: number;
}

export type FaultKind = keyof FaultRates;

export const FAULT_KINDS: readonly FaultKind[] = ['tokenInvalidation', 'timeout', 'serverError', 'htmlUnavailable', 'malformedJson'];

/** Zero rates: no faults. */
export function noFaults(): FaultRates {
  return { serverError: 0, timeout: 0, malformedJson: 0, htmlUnavailable: 0, tokenInvalidation: 0 };
}

/** Returns the problems of a partial rates object (empty when valid). */
export function validateFaultRates(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['body must be an object of fault rates'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (!(FAULT_KINDS as readonly string[]).includes(key)) problems.push(`unknown fault "${key}" (expected one of ${FAULT_KINDS.join(', ')})`);
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) problems.push(`${key} must be a number between 0 and 1`);
  }
  return problems;
}

/** Creates the injector with initial rates. */
export function createFaultInjector(initial: Partial<FaultRates>, seed: number) {
  let rates: FaultRates = { ...noFaults(), ...initial };
  let random = mulberry32(seed ^ 0x5eed);

  return {
    rates: (): FaultRates => ({ ...rates }),
    set(partial: Partial<FaultRates>): void {
      rates = { ...rates, ...partial };
    },
    reset(next: Partial<FaultRates>): void {
      rates = { ...noFaults(), ...next };
      random = mulberry32(seed ^ 0x5eed);
    },
    /** Draws the fault for one request; malformed bodies only make sense on reads. */
    draw(method: string): FaultKind | undefined {
      for (const kind of FAULT_KINDS) {
        if (kind === 'malformedJson' && method !== 'GET') continue;
        if (rates[kind] > 0 && random() < rates[kind]) return kind;
      }
      return undefined;
    },
  };
}
