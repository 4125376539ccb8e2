import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { missingPrerequisite, openBrowser, startPlatform } from '../test/console/harness.js';

/**
 * The console: gzipped size of every chunk in dist/web/assets, the first screen's JavaScript (the
 * chunks the dashboard loads after sign-in, as Chromium fetched them), and Playwright timings in
 * demo mode: sign-in submitted -> dashboard rendered, -> first SIM page rendered. Target: first
 * screen <= 200 KB gzipped, both renders < 1 s.
 */
export async function runConsoleBench(): Promise<Record<string, unknown>> {
  const assets = path.resolve('dist/web/assets');
  const chunks: Record<string, number> = {};
  for (const file of readdirSync(assets).filter((f) => f.endsWith('.js') || f.endsWith('.css'))) {
    chunks[file] = Math.round(gzipSync(readFileSync(path.join(assets, file))).length / 10.24) / 100;
  }
  const missing = missingPrerequisite();
  if (missing !== null) return { chunks_kb_gzip: chunks, browser: `not measured: ${missing}` };

  const platform = await startPlatform();
  const browser = await openBrowser();
  try {
    const token = await platform.login(platform.admin.username, platform.admin.password);
    for (let i = 0; i < 120; i++) {
      const page = (await (await platform.api(token, '/api/v1/sims?page_size=1')).json()) as { total: number };
      if (page.total > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const { page } = browser;
    const scripts = new Map<string, number>();
    page.on('response', (response) => {
      const url = response.url();
      if (url.endsWith('.js')) scripts.set(url, 0);
    });
    await page.goto(`${platform.url}/login`);
    await page.getByLabel('Username').fill(platform.admin.username);
    await page.getByLabel('Password').fill(platform.admin.password);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('dashboard').waitFor();
    const dashboardMs = performance.now() - t0;
    let firstScreen = 0;
    for (const url of scripts.keys()) firstScreen += chunks[path.basename(new URL(url).pathname)] ?? 0;
    const t1 = performance.now();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SIMs' }).click();
    await page.locator('.sims-table tbody a').first().waitFor();
    const simsMs = performance.now() - t1;
    return {
      chunks_kb_gzip: chunks,
      first_screen_js_kb_gzip: Math.round(firstScreen * 100) / 100,
      first_screen_target_kb: 200,
      sign_in_to_dashboard_ms: Math.round(dashboardMs),
      dashboard_to_first_sim_page_ms: Math.round(simsMs),
      render_target_ms: 1000,
    };
  } finally {
    await browser.close();
    await platform.stop();
  }
}
