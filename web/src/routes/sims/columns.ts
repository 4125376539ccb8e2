import type { Sim } from '../../api/types';
import { formatBytes, formatDateTime, formatPct } from '../../lib/format';

/** The SIM list's columns: which field, its header, whether the server can sort by it. */
export interface SimColumn {
  id: string;
  header: string;
  sortable: boolean;
  value: (sim: Sim) => string;
  numeric?: boolean;
}

export const SIM_COLUMNS: SimColumn[] = [
  { id: 'label', header: 'Label', sortable: true, value: (s) => s.label ?? '' },
  { id: 'status', header: 'Status', sortable: true, value: (s) => s.status ?? '—' },
  { id: 'connectivity_status', header: 'Connectivity', sortable: true, value: (s) => s.connectivity_status ?? '—' },
  { id: 'data_remaining_pct', header: 'Data left', sortable: true, numeric: true, value: (s) => formatPct(s.data_remaining_pct) },
  { id: 'data_remaining_bytes', header: 'Data left (bytes)', sortable: true, numeric: true, value: (s) => formatBytes(s.data_remaining_bytes) },
  { id: 'tags', header: 'Tags', sortable: false, value: (s) => s.tags.join(', ') },
  { id: 'msisdn', header: 'MSISDN', sortable: true, value: (s) => s.msisdn ?? '—' },
  { id: 'imsi', header: 'IMSI', sortable: true, value: (s) => s.imsi ?? '—' },
  { id: 'imei', header: 'IMEI', sortable: false, value: (s) => s.imei ?? '—' },
  { id: 'ip_address', header: 'IP', sortable: false, value: (s) => s.ip_address ?? '—' },
  { id: 'last_seen_at', header: 'Last seen', sortable: true, value: (s) => formatDateTime(s.last_seen_at) },
  { id: 'data_expiry_date', header: 'Quota expires', sortable: true, value: (s) => formatDateTime(s.data_expiry_date) },
  { id: 'last_synced_at', header: 'Synced', sortable: true, value: (s) => formatDateTime(s.last_synced_at) },
];

export const DEFAULT_COLUMNS = ['label', 'status', 'connectivity_status', 'data_remaining_pct', 'tags', 'last_seen_at'];

const KEY = 'simfleet.sims.columns';

/** The chosen columns (a display preference, kept in localStorage; never a credential). */
export function loadColumns(): string[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (Array.isArray(raw)) {
      const known = raw.filter((c): c is string => typeof c === 'string' && SIM_COLUMNS.some((col) => col.id === c));
      if (known.length > 0) return known;
    }
  } catch {
    // a damaged preference falls back to the default
  }
  return DEFAULT_COLUMNS;
}

export function saveColumns(columns: string[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(columns));
  } catch {
    // private mode: the choice lasts for this page only
  }
}
