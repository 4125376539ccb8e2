// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { bulkBody, describePreview, paramProblem } from './bulk';
import { BulkDialog } from './BulkDialog';

describe('bulk preview logic', () => {
  it('sends the selection and only the parameter the action uses', () => {
    expect(bulkBody('add_tag', { kind: 'iccids', iccids: ['1', '2'] }, { tag: ' t ', label: 'x' }, true)).toEqual({ action: 'add_tag', dry_run: true, iccids: ['1', '2'], params: { tag: 't' } });
    expect(bulkBody('disable', { kind: 'filter', filter: { status: 'Enabled' }, total: 9 }, { tag: 'ignored' }, false)).toEqual({ action: 'disable', dry_run: false, filter: { status: 'Enabled' } });
  });

  it('requires the parameter before a preview', () => {
    expect(paramProblem('add_tag', {})).toMatch(/tag/);
    expect(paramProblem('add_tag', { tag: 'a;b' })).toMatch(/cannot/);
    expect(paramProblem('sms', { message: ' ' })).toMatch(/message/);
    expect(paramProblem('disable', {})).toBeNull();
  });

  it('describes the dry run and refuses a run without a valid SIM', () => {
    const base = { total: 3, sample: [], invalid_sample: [] };
    expect(describePreview('disable', { ...base, valid: 2, invalid: 1 })).toEqual({ text: 'This will disable 2 SIMs.', canRun: true, warning: '1 SIM of the selection are unknown or malformed and will fail.' });
    expect(describePreview('disable', { ...base, valid: 0, invalid: 3 }).canRun).toBe(false);
  });
});

describe('BulkDialog', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('previews with a dry run, then runs after confirmation', async () => {
    const bodies: unknown[] = [];
    const job = { id: '3f1c2b7a-9d4e-4c21-8b0f-1e2d3c4b5a69', action: 'add_tag', params: { tag: 'spares' }, selection: {}, status: 'completed', total: 2, processed: 2, succeeded: 2, failed: 0, skipped: 0, pending: 0, progress_percent: 100, error: null };
    vi.stubGlobal('fetch', async (request: Request) => {
      if (request.method === 'GET') {
        const items = { items: [], total: 0, page: 1, page_size: 200, total_pages: 0 };
        return new Response(JSON.stringify(request.url.includes('/items') ? items : job), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const body: unknown = JSON.parse(await request.text());
      bodies.push(body);
      const dry = (body as { dry_run: boolean }).dry_run;
      const answer = dry
        ? { dry_run: true, action: 'add_tag', selection: {}, total: 2, valid: 2, invalid: 0, sample: ['8988280666000000019', '8988280666000000027'], invalid_sample: [] }
        : { id: '3f1c2b7a-9d4e-4c21-8b0f-1e2d3c4b5a69' };
      return new Response(JSON.stringify(answer), { status: dry ? 200 : 201, headers: { 'content-type': 'application/json' } });
    });
    const client = new QueryClient();
    render(
      <QueryClientProvider client={client}>
        <BulkDialog open onOpenChange={() => undefined} selection={{ kind: 'iccids', iccids: ['8988280666000000019', '8988280666000000027'] }} onDone={() => undefined} />
      </QueryClientProvider>,
    );
    const preview = screen.getByRole('button', { name: 'Preview (dry run)' });
    expect((preview as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Tag'), { target: { value: 'spares' } });
    fireEvent.click(preview);
    await screen.findByText('This will add a tag to 2 SIMs.');
    expect(bodies[0]).toEqual({ action: 'add_tag', dry_run: true, iccids: ['8988280666000000019', '8988280666000000027'], params: { tag: 'spares' } });
    fireEvent.click(screen.getByRole('button', { name: /^Confirm/ }));
    await screen.findByText(/Job completed/);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toMatchObject({ dry_run: false, params: { tag: 'spares' } });
  });
});
