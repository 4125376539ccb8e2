import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSerious, browserSuiteEnabled, openBrowser, signIn, startPlatform, type Browser, type Platform } from './harness.js';

/**
 * The console end to end, in Debian's Chromium against a real demo-mode platform: sign in, the
 * dashboard, filter the fleet (URL and back button), a SIM with its usage chart, inline label edit,
 * an SMS, a bulk dry run then the action with its per-SIM result, a live update, sign out; a viewer
 * sees no action; axe-core on the main screens; no browser console errors.
 */
const enabled = browserSuiteEnabled('console end-to-end (test/console/console.test.ts)');

// A real browser against a real server: each step has its own 15 s bound, the whole test a minute on a busy CI machine.
describe.skipIf(!enabled)('console in Chromium', { timeout: 60_000 }, () => {
  let platform: Platform;
  let browser: Browser;
  let adminToken: string;
  let iccid: string;

  beforeAll(async () => {
    platform = await startPlatform();
    adminToken = await platform.login(platform.admin.username, platform.admin.password);
    // Wait for the first sweep to store the demo fleet, so the screens have SIMs to show.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const page = (await (await platform.api(adminToken, '/api/v1/sims?page_size=5&sort=iccid')).json()) as { total: number; items: Array<{ iccid: string }> };
      if (page.total > 0 && page.items[0] !== undefined) {
        iccid = page.items[0].iccid;
        break;
      }
      if (Date.now() > deadline) throw new Error(`no SIMs after 60 s\n${platform.log()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await openBrowser();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('signs in and renders the dashboard from the fleet summary', async () => {
    const { page } = browser;
    await page.goto(`${platform.url}/`);
    await page.waitForURL(/\/login/);
    expect(await axeSerious(page)).toEqual([]);
    await signIn(page, platform.url, platform.admin.username, platform.admin.password);
    await page.getByTestId('dashboard').waitFor();
    const summary = (await (await platform.api(adminToken, '/api/v1/fleet/summary')).json()) as { sims: { total: number } };
    await expect.poll(() => page.locator('.kpi').first().textContent()).toContain(summary.sims.total.toLocaleString('en-US'));
    expect(await axeSerious(page)).toEqual([]);
  });

  it('filters the fleet server-side with the filter in the URL, and the back button restores it', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SIMs' }).click();
    await page.getByRole('link', { name: iccid }).waitFor();
    const all = await page.locator('.toolbar span').first().textContent();
    // All but the last digit of the ICCID: the demo's ICCIDs are consecutive, so at most 10 match.
    const prefix = iccid.slice(0, -1);
    await page.getByRole('searchbox', { name: 'Search SIMs' }).fill(prefix);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u: URL) => u.searchParams.get('q') === prefix);
    await expect.poll(() => page.locator('.toolbar span').first().textContent()).not.toBe(all);
    // The count of the new filter, not the previous page with " · updating…".
    await expect.poll(() => page.locator('.toolbar span').first().textContent()).toMatch(/^\d[\d,]* SIMs? match$/);
    const rows = await page.locator('.sims-table tbody tr:not([aria-hidden])').count();
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(10);
    const matching = (await (await platform.api(adminToken, `/api/v1/sims?q=${prefix}`)).json()) as { total: number };
    expect(await page.locator('.toolbar span').first().textContent()).toBe(`${matching.total} SIM${matching.total === 1 ? '' : 's'} match`);
    for (const link of await page.locator('.sims-table tbody tr:not([aria-hidden]) a[href^="/sims/"]').allTextContents()) expect(link.startsWith(prefix)).toBe(true);
    expect(await axeSerious(page)).toEqual([]);
    await page.goBack();
    await page.waitForURL((u: URL) => !u.searchParams.has('q'));
    await expect.poll(() => page.getByRole('searchbox', { name: 'Search SIMs' }).inputValue()).toBe('');
  });

  // Demo usage reaches a fresh install within seconds on an idle machine, a minute or more on a loaded one.
  it('opens a SIM from the header search and shows its usage chart', { timeout: 150_000 }, async () => {
    const { page } = browser;
    await page.getByRole('combobox', { name: 'Search' }).fill(iccid);
    await page.getByRole('combobox', { name: 'Search' }).press('Enter');
    await page.waitForURL(`**/sims/${iccid}`);
    await page.getByRole('heading', { name: 'Identity' }).waitFor();
    // The header's connectivity badge follows the connectivity card (one status on one page).
    const card = page.getByRole('region', { name: 'Connectivity' }).locator('.badge');
    await card.waitFor();
    await expect.poll(async () => page.getByTestId('sim-connectivity').textContent(), { timeout: 10_000 }).toBe(await card.textContent());
    // Demo usage arrives from the simulator's streamer and the usage sync; the chart follows it.
    await page.getByRole('button', { name: '90 days' }).click();
    const deadline = Date.now() + 100_000;
    while ((await page.getByTestId('usage-chart').count()) === 0) {
      if (Date.now() > deadline) throw new Error('no usage chart after 100 s');
      await page.waitForTimeout(2000);
      await page.getByRole('button', { name: '30 days' }).click();
      await page.getByRole('button', { name: '90 days' }).click();
    }
    expect(await page.getByTestId('usage-chart').locator('canvas').count()).toBe(1);
    // The diagnosis panel: a verdict and the next step, from GET /sims/{iccid}/diagnosis.
    await page.getByRole('heading', { name: 'Diagnosis' }).waitFor();
    const diagnosis = page.getByTestId('diagnosis');
    await diagnosis.waitFor();
    expect(await diagnosis.getAttribute('data-verdict')).toMatch(/^(ok|attention|problem|unknown)$/);
    expect(await diagnosis.textContent()).toContain('Next step:');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('edits the label inline', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Edit label' }).click();
    await page.getByRole('textbox', { name: 'Label' }).fill('e2e tracker');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: /e2e tracker/ }).waitFor();
    const sim = (await (await platform.api(adminToken, `/api/v1/sims/${iccid}`)).json()) as { label: string };
    expect(sim.label).toBe('e2e tracker');
  });

  it('sends an SMS with the part counter and shows it in the thread', async () => {
    const { page } = browser;
    const box = page.getByLabel('Message to the device');
    await box.fill('Hello {device}');
    await expect.poll(() => page.getByTestId('sms-counter').last().textContent()).toContain('GSM-7 · 16 septets · 1 SMS');
    await box.fill('Grüße 👋');
    await expect.poll(() => page.getByTestId('sms-counter').last().textContent()).toContain('UCS-2');
    await box.fill('e2e ping');
    await page.getByRole('button', { name: 'Send SMS' }).click();
    await page.getByRole('list', { name: 'SMS thread' }).getByText('e2e ping').waitFor();
  });

  it('receives a live update without reloading', async () => {
    const { page } = browser;
    await page.locator('.live-open').waitFor({ timeout: 15_000 });
    const r = await platform.api(adminToken, `/api/v1/sims/${iccid}`, { method: 'PATCH', body: JSON.stringify({ label: 'changed elsewhere' }) });
    expect(r.status).toBe(200);
    await page.getByRole('heading', { level: 1, name: /changed elsewhere/ }).waitFor({ timeout: 15_000 });
  });

  it('runs a bulk dry run, then the action, with live progress and the per-SIM result', async () => {
    const { page } = browser;
    await page.goto(`${platform.url}/sims?sort=iccid`);
    const boxes = page.getByRole('checkbox', { name: /^Select \d+/ });
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('button', { name: 'Bulk action…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bulk action' });
    await dialog.getByLabel('Action').selectOption('add_tag');
    await dialog.getByLabel('Tag').fill('e2e-bulk');
    await dialog.getByRole('button', { name: 'Preview (dry run)' }).click();
    await dialog.getByTestId('bulk-preview').getByText('This will add a tag to 2 SIMs.').waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await dialog.getByRole('button', { name: /^Confirm/ }).click();
    await dialog.getByText(/Job completed/).waitFor({ timeout: 30_000 });
    await expect.poll(() => dialog.getByRole('table', { name: 'Per-SIM results' }).getByText('succeeded').count()).toBe(2);
    const tagged = (await (await platform.api(adminToken, '/api/v1/sims?tag=e2e-bulk')).json()) as { total: number };
    expect(tagged.total).toBe(2);
    await page.keyboard.press('Escape');
  });

  it('shows the scheduler with how the list sweep keeps up', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Scheduler' }).click();
    await page.getByRole('heading', { level: 1, name: 'Scheduler' }).waitFor();
    await page.getByTestId('sweep-mode').getByText('sweep: scheduled').waitFor();
    await page.getByRole('cell', { name: 'sync-sims' }).waitFor();
  });

  it('signs out, and a viewer sees no action buttons', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    const refused = await fetch(`${platform.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'x-session-cookie': '1' } });
    expect(refused.status).toBe(401);

    const created = await platform.api(adminToken, '/api/v1/auth/register', {
      method: 'POST',
      body: JSON.stringify({ username: 'watcher', password: 'Viewer-e2e-Passw0rd!', role: 'viewer' }),
    });
    expect(created.status).toBe(201);
    await signIn(page, platform.url, 'watcher', 'Viewer-e2e-Passw0rd!');
    await page.getByTestId('dashboard').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'SIMs' }).click();
    await page.getByRole('link', { name: iccid }).waitFor();
    expect(await page.getByRole('button', { name: 'Bulk action…' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Import CSV' }).count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: /^Select/ }).count()).toBe(0);
    await page.getByRole('link', { name: iccid }).click();
    await page.getByRole('heading', { name: 'Identity' }).waitFor();
    await page.getByText('Your role can view this SIM but not change it.').waitFor();
    for (const name of ['Edit label', 'Disable SIM', 'Enable SIM', 'Lock IMEI', 'Unlock IMEI', 'Top up', 'Reset connectivity', 'Send SMS']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await page.goto(`${platform.url}/users`);
    await page.waitForURL((u: URL) => u.pathname === '/');
  });

  it('wrote no errors to the browser console', () => {
    expect(browser.errors).toEqual([]);
  });
});
