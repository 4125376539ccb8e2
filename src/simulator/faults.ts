/**
 * Fault injection: each request to the 1NCE surface may be turned into one of the failures a
 * client must survive. Rates are probabilities per request, drawn from a seeded PRNG so a run
 * with the same seed and request sequence fails the same way.
 */
import { mulberry32 } from './prng.js';

/** Probability (0..1) of each fault per request. */
export interface FaultRates {
  /** 500 in the family's error shape, before the request is processed. */
  serverError: number;
  /** Held 60 s, then a gateway 504, before the request is processed. */
  timeout: number;
  /** GET bodies cut off mid-document (truncated), still labelled JSON. */
  malformedJson: number;
  /** GET bodies replaced by well-formed JSON of the wrong shape (garbage). */
  garbageJson: number;
  /** 503 `text/html` outage page from a gateway. */
  htmlUnavailable: number;
  /** Every issued token is forgotten (revoked mid-run); the request then gets a 401. */
  tokenInvalidation: number;
  /** A 429 storm: this and every request for the next second answer 429 with `Retry-After`. */
  rateLimitStorm: number;
  /** The request IS processed (an SMS sent, a top-up booked), then its success answer is lost: a gateway 504. */
  lostResponse: number;
}

export type FaultKind = keyof FaultRates;

export const FAULT_KINDS: readonly FaultKind[] = [
  'tokenInvalidation',
  'rateLimitStorm',
  'timeout',
  'serverError',
  'htmlUnavailable',
  'malformedJson',
  'garbageJson',
  'lostResponse',
];

/** Faults that replace the body of a successful read; writes never get them (their answer is tiny or empty). */
const READ_ONLY_FAULTS: ReadonlySet<FaultKind> = new Set(['malformedJson', 'garbageJson']);

/** Zero rates: no faults. */
export function noFaults(): FaultRates {
  return { serverError: 0, timeout: 0, malformedJson: 0, garbageJson: 0, htmlUnavailable: 0, tokenInvalidation: 0, rateLimitStorm: 0, lostResponse: 0 };
}

/**
 * Splits a total fault rate evenly over every kind (`FAULTS=0.2` means one request in five
 * faulted, each kind equally likely). Used by the resilience tests and `SIMULATOR_FAULT_RATE`.
 */
export function evenFaults(total: number): FaultRates {
  const each = total / FAULT_KINDS.length;
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, each])) as unknown as FaultRates;
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
    /** Draws the fault for one request; malformed and garbage bodies only make sense on reads. */
    draw(method: string): FaultKind | undefined {
      for (const kind of FAULT_KINDS) {
        if (READ_ONLY_FAULTS.has(kind) && method !== 'GET') continue;
        if (rates[kind] > 0 && random() < rates[kind]) return kind;
      }
      return undefined;
    },
    /** Picks one of `count` garbage bodies. */
    pick(count: number): number {
      return Math.floor(random() * count);
    },
  };
}
