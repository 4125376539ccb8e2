/**
 * The seeded fleet. Nothing is stored per SIM: `sim(index)` recomputes identity and usage profile
 * from (seed, index) in microseconds, so a 100,000-SIM fleet costs no memory and no start-up time,
 * and an ICCID, IMSI, MSISDN or IP maps straight back to its index.
 */
import { withLuhn } from '../lib/identifiers.js';
import { DAY_MS, MICRO_PER_MB } from './formats.js';
import { hash32, intBetween, unit } from './prng.js';

/** Usage behaviour of a SIM; fixed per SIM by the seed. */
export type Profile = 'idle' | 'steady' | 'heavy' | 'nearly_exhausted' | 'exhausted' | 'disabled' | 'expired' | 'runaway' | 'silent';

/** Immutable, seed-derived facts about one SIM. */
export interface SimBase {
  index: number;
  iccid: string;
  iccidWithLuhn: string;
  imsi: string;
  msisdn: string;
  imei: string | undefined;
  ipAddress: string;
  profile: Profile;
  /** Internal ids 1NCE's backend exposes in events and streamer records. */
  simId: number;
  endpointId: number;
  imsiId: number;
  activationMs: number;
  expiryMs: number;
  label: string | undefined;
  dataTotalMicro: number;
  /** Data volume left when the simulation starts (micro-MB). */
  dataLeftMicro: number;
  smsTotal: number;
  smsLeft: number;
  /** Mean data use per active day (micro-MB) and mean SMS per day. */
  dataPerDayMicro: number;
  smsPerDay: number;
  /** Share of days without any traffic. */
  quietDayRate: number;
  operator: number;
  /**
   * Demo anomalies: from this UTC day number on, a 'runaway' SIM uses ~40 times its normal daily
   * volume and a 'silent' SIM sends nothing while staying attached; undefined for other profiles.
   */
  anomalyFromDay: number | undefined;
}

/** The seeded fleet: identities by index, and the reverse look-ups. */
export interface Fleet {
  size: number;
  seed: number;
  /** Simulated time the fleet's "history" is anchored at (the clock's start). */
  epochMs: number;
  sim(index: number): SimBase;
  /** Just the IMEI (cheaper than `sim` for filtering). */
  imeiOf(index: number): string | undefined;
  indexOfIccid(iccid: string): number;
  indexOfIp(ip: string): number;
  indexOfImsi(imsi: string): number;
  /** Indices ordered by IMEI (SIMs without IMEI last); computed once on first use. */
  imeiOrder(): Int32Array;
}

const ICCID_PREFIX = '8988280666';
const IMSI_PREFIX = '901405';
const MSISDN_PREFIX = '882285';
const TEN_YEARS_MS = 3652 * DAY_MS;
/** Type allocation codes of common IoT modules (Quectel, u-blox, SIMCom, Telit style). */
const TACS = ['86823905', '86695104', '35284110', '86716705', '35347410', '86147304'];
const LABEL_WORDS = ['Tracker', 'Meter', 'Gateway', 'Sensor', 'Pump', 'Kiosk', 'Charger', 'Camera'];

/**
 * One SIM in every ANOMALY_PERIOD is a runaway and one is silent, whatever the seed, so any fleet of
 * 80 SIMs or more (demo mode, the tests) has both: the anomaly detector's demo cases.
 */
const ANOMALY_PERIOD = 200;
const RUNAWAY_SLOT = 37;
const SILENT_SLOT = 73;
/** The runaway started yesterday (a full spiking day is stored); the silent SIM's last traffic was four days ago. */
const RUNAWAY_DAYS_BEFORE_EPOCH = 1;
const SILENT_DAYS_BEFORE_EPOCH = 3;

const PROFILE_WEIGHTS: Array<[Profile, number]> = [
  ['idle', 0.18],
  ['steady', 0.42],
  ['heavy', 0.1],
  ['nearly_exhausted', 0.1],
  ['exhausted', 0.06],
  ['disabled', 0.08],
  ['expired', 0.06],
];

/** Builds the fleet accessor; O(1) time and memory regardless of size. */
export function createFleet(options: { seed: number; size: number; epochMs: number }): Fleet {
  const { seed, size } = options;
  const epochDay = Math.floor(options.epochMs / DAY_MS);
  // Number blocks differ per seed so two seeded fleets never share identifiers.
  const iccidBase = (seed % 900) * 1_000_000 + 1_000;
  const subscriberBase = 100_000_000 + (seed % 800) * 1_000_000;
  const ipBase = (seed % 64) * 65_536 + 256;
  let imeiSorted: Int32Array | undefined;

  const ipOf = (index: number): string => {
    const n = ipBase + index;
    return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  };

  const profileOf = (index: number): Profile => {
    if (index % ANOMALY_PERIOD === RUNAWAY_SLOT) return 'runaway';
    if (index % ANOMALY_PERIOD === SILENT_SLOT) return 'silent';
    const draw = unit(seed, index, 1);
    let acc = 0;
    for (const [name, weight] of PROFILE_WEIGHTS) {
      acc += weight;
      if (draw < acc) return name;
    }
    return 'steady';
  };

  const imeiOf = (index: number, profile: Profile = profileOf(index)): string | undefined => {
    const hasImei = profile !== 'idle' ? unit(seed, index, 2) > 0.05 : unit(seed, index, 2) > 0.6;
    if (!hasImei) return undefined;
    const tac = TACS[hash32(seed, index, 3) % TACS.length] ?? TACS[0]!;
    return withLuhn(tac + String(hash32(seed, index, 4) % 1_000_000).padStart(6, '0'));
  };

  const sim = (index: number): SimBase => {
    const profile = profileOf(index);
    const iccid = ICCID_PREFIX + String(iccidBase + index).padStart(9, '0');
    const subscriber = String(subscriberBase + index).padStart(9, '0');
    const imei = imeiOf(index, profile);
    const ageDays = profile === 'expired' ? 3652 + intBetween(1, 200, seed, index, 5) : intBetween(20, 1100, seed, index, 5);
    const activationMs = (epochDay - ageDays) * DAY_MS + intBetween(0, 86_399, seed, index, 6) * 1000;
    const topups = unit(seed, index, 7) < 0.1 ? 1 : 0;
    const dataTotalMicro = 500 * MICRO_PER_MB * (1 + topups);
    const smsTotal = 250 * (1 + topups);
    const shape = profileShape(profile, (k) => unit(seed, index, 10 + k));
    const dataLeftMicro = Math.round(dataTotalMicro * shape.leftShare);
    return {
      index,
      iccid,
      iccidWithLuhn: withLuhn(iccid),
      imsi: IMSI_PREFIX + subscriber,
      msisdn: MSISDN_PREFIX + subscriber,
      imei,
      ipAddress: ipOf(index),
      profile,
      simId: 1_000_000 + seed * 7 + index,
      endpointId: 8_000_000 + index,
      imsiId: 3_000_000 + index,
      activationMs,
      expiryMs: activationMs + TEN_YEARS_MS,
      label: unit(seed, index, 8) < 0.35 ? `${LABEL_WORDS[hash32(seed, index, 9) % LABEL_WORDS.length]}-${index + 1}` : undefined,
      dataTotalMicro,
      dataLeftMicro,
      smsTotal,
      smsLeft: Math.max(0, smsTotal - intBetween(0, 120, seed, index, 20)),
      dataPerDayMicro: Math.round(shape.mbPerDay * MICRO_PER_MB),
      smsPerDay: shape.smsPerDay,
      quietDayRate: shape.quietDayRate,
      operator: hash32(seed, index, 21) % 6,
      anomalyFromDay:
        profile === 'runaway' ? epochDay - RUNAWAY_DAYS_BEFORE_EPOCH : profile === 'silent' ? epochDay - SILENT_DAYS_BEFORE_EPOCH : undefined,
    };
  };

  const indexFromDigits = (value: string, prefix: string, base: number, width: number): number => {
    if (value.length !== prefix.length + width || !value.startsWith(prefix)) return -1;
    const tail = value.slice(prefix.length);
    if (!/^\d+$/.test(tail)) return -1;
    const index = Number(tail) - base;
    return index >= 0 && index < size ? index : -1;
  };

  return {
    size,
    seed,
    epochMs: options.epochMs,
    sim,
    imeiOf: (index) => imeiOf(index),
    indexOfIccid(iccid) {
      const normalized = iccid.length === 20 && withLuhn(iccid.slice(0, 19)) === iccid ? iccid.slice(0, 19) : iccid;
      return indexFromDigits(normalized, ICCID_PREFIX, iccidBase, 9);
    },
    indexOfImsi(imsi) {
      return indexFromDigits(imsi, IMSI_PREFIX, subscriberBase, 9);
    },
    indexOfIp(ip) {
      const parts = ip.split('.');
      if (parts.length !== 4 || parts[0] !== '10' || !parts.every((p) => /^\d{1,3}$/.test(p))) return -1;
      const n = (Number(parts[1]) << 16) + (Number(parts[2]) << 8) + Number(parts[3]);
      const index = n - ipBase;
      return index >= 0 && index < size && ipOf(index) === ip ? index : -1;
    },
    imeiOrder() {
      if (imeiSorted !== undefined) return imeiSorted;
      const imeis = new Array<string>(size);
      for (let i = 0; i < size; i++) imeis[i] = imeiOf(i) ?? '\uffff';
      const order = Int32Array.from({ length: size }, (_, i) => i);
      order.sort((a, b) => (imeis[a]! < imeis[b]! ? -1 : imeis[a]! > imeis[b]! ? 1 : a - b));
      imeiSorted = order;
      return order;
    },
  };
}

interface Shape {
  leftShare: number;
  mbPerDay: number;
  smsPerDay: number;
  quietDayRate: number;
}

function profileShape(profile: Profile, r: (k: number) => number): Shape {
  switch (profile) {
    case 'idle':
      return { leftShare: 0.9 + 0.1 * r(0), mbPerDay: 0.02 + 0.1 * r(1), smsPerDay: 0, quietDayRate: 0.85 };
    case 'steady':
      return { leftShare: 0.3 + 0.68 * r(0), mbPerDay: 0.2 + 2.8 * r(1), smsPerDay: 0.3 * r(2), quietDayRate: 0.1 };
    case 'heavy':
      return { leftShare: 0.25 + 0.6 * r(0), mbPerDay: 4 + 11 * r(1), smsPerDay: 0.5 + r(2), quietDayRate: 0.02 };
    case 'nearly_exhausted':
      return { leftShare: 0.04 + 0.14 * r(0), mbPerDay: 0.8 + 3 * r(1), smsPerDay: 0.3 * r(2), quietDayRate: 0.1 };
    case 'exhausted':
      return { leftShare: 0, mbPerDay: 1 + 3 * r(1), smsPerDay: 0.2 * r(2), quietDayRate: 0.1 };
    case 'disabled':
      return { leftShare: 0.2 + 0.8 * r(0), mbPerDay: 0.5 + 2 * r(1), smsPerDay: 0.1, quietDayRate: 0.2 };
    case 'expired':
      return { leftShare: 0.1 + 0.5 * r(0), mbPerDay: 0.5 + 2 * r(1), smsPerDay: 0.1, quietDayRate: 0.2 };
    // Daily reporters (no quiet days) until their anomaly starts, so their baseline is clear.
    case 'runaway':
      return { leftShare: 0.7 + 0.25 * r(0), mbPerDay: 0.5 + 1.5 * r(1), smsPerDay: 0.2, quietDayRate: 0 };
    case 'silent':
      return { leftShare: 0.4 + 0.5 * r(0), mbPerDay: 0.5 + 1.5 * r(1), smsPerDay: 0.2, quietDayRate: 0 };
  }
}
