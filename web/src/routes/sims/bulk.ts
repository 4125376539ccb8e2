import type { BulkJobBody } from '../../api/types';
import type { SimFilterQuery } from './filters';

/** Bulk actions the console offers, with what each needs and how it reads in a sentence. */
export const BULK_ACTIONS = {
  enable: { label: 'Enable', verb: 'enable', param: null },
  disable: { label: 'Disable', verb: 'disable', param: null },
  label: { label: 'Set label', verb: 'set the label of', param: 'label' },
  add_tag: { label: 'Add tag', verb: 'add a tag to', param: 'tag' },
  remove_tag: { label: 'Remove tag', verb: 'remove a tag from', param: 'tag' },
  imei_lock: { label: 'Lock IMEI', verb: 'lock the IMEI of', param: null },
  imei_unlock: { label: 'Unlock IMEI', verb: 'unlock the IMEI of', param: null },
  reset: { label: 'Reset connectivity', verb: 'reset the connectivity of', param: null },
  sms: { label: 'Send SMS', verb: 'send an SMS to', param: 'message' },
  topup: { label: 'Top up', verb: 'top up', param: null },
} as const;

export type BulkActionName = keyof typeof BULK_ACTIONS;

/** What the operator picked: the SIMs ticked on the page, or every SIM matching the filter. */
export type BulkSelection = { kind: 'iccids'; iccids: string[] } | { kind: 'filter'; filter: SimFilterQuery; total: number };

export interface BulkParamsInput {
  label?: string;
  tag?: string;
  message?: string;
}

/** The size of a selection as the operator sees it before the server resolves it. */
export function selectionSize(selection: BulkSelection): number {
  return selection.kind === 'iccids' ? selection.iccids.length : selection.total;
}

/** Why the action cannot be previewed yet (a missing parameter), or null. */
export function paramProblem(action: BulkActionName, params: BulkParamsInput): string | null {
  const needed = BULK_ACTIONS[action].param;
  if (needed === 'tag' && (params.tag ?? '').trim() === '') return 'Enter the tag.';
  if (needed === 'tag' && /[,;|]/.test(params.tag ?? '')) return 'A tag cannot contain commas, semicolons or pipes.';
  if (needed === 'message' && (params.message ?? '').trim() === '') return 'Enter the message.';
  return null;
}

/** The POST /bulk-jobs body for a selection (only the parameter the action uses is sent). */
export function bulkBody(action: BulkActionName, selection: BulkSelection, params: BulkParamsInput, dryRun: boolean): BulkJobBody {
  const needed = BULK_ACTIONS[action].param;
  const body: BulkJobBody = { action, dry_run: dryRun };
  if (selection.kind === 'iccids') body.iccids = selection.iccids;
  else body.filter = selection.filter;
  if (needed === 'label') body.params = { label: params.label ?? '' };
  if (needed === 'tag') body.params = { tag: (params.tag ?? '').trim() };
  if (needed === 'message') body.params = { message: params.message ?? '' };
  return body;
}

export interface DryRun {
  total: number;
  valid: number;
  invalid: number;
  sample: string[];
  invalid_sample: Array<{ iccid: string; error: string }>;
  /** Selected SIMs expired at 1NCE (they would fail); absent from older servers. */
  expired?: number;
  expired_sample?: string[];
}

/** The preview sentence and whether the action may go ahead (it needs at least one valid SIM). */
export function describePreview(action: BulkActionName, preview: DryRun): { text: string; canRun: boolean; warning: string | null } {
  const sims = (n: number) => `${n.toLocaleString('en-US')} SIM${n === 1 ? '' : 's'}`;
  if (preview.valid === 0) {
    return { text: `Nothing to do: the selection has no SIM this console knows.`, canRun: false, warning: preview.invalid > 0 ? `${sims(preview.invalid)} cannot be processed.` : null };
  }
  return {
    text: `This will ${BULK_ACTIONS[action].verb} ${sims(preview.valid)}.`,
    canRun: true,
    warning: preview.invalid > 0 ? `${sims(preview.invalid)} of the selection are unknown or malformed and will fail.` : null,
  };
}
