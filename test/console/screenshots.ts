/**
 * `npm run screenshots`: regenerates the PNG screenshots of the console's main screens in
 * docs/console/ against a fresh demo-mode platform (needs `npm run build` and /usr/bin/chromium).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { missingPrerequisite, openBrowser, signIn, startPlatform } from './harness.js';

const OUT = path.resolve('docs/console');

async function main(): Promise<void> {
  const missing = missingPrerequisite();
  if (missing !== null) throw new Error(`cannot take screenshots: ${missing}`);
  mkdirSync(OUT, { recursive: true });
  const platform = await startPlatform();
  const browser = await openBrowser({ width: 1366, height: 900 });
  try {
    const token = await platform.login(platform.admin.username, platform.admin.password);
    let iccid = '';
    for (let i = 0; i < 120 && iccid === ''; i++) {
      const page = (await (await platform.api(token, '/api/v1/sims?page_size=1&sort=iccid')).json()) as { items: Array<{ iccid: string }> };
      iccid = page.items[0]?.iccid ?? '';
      if (iccid === '') await new Promise((r) => setTimeout(r, 500));
    }
    const { page } = browser;
    const shot = async (name: string) => {
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      process.stdout.write(`docs/console/${name}.png\n`);
    };
    await page.goto(`${platform.url}/login`);
    await shot('login');
    await signIn(page, platform.url, platform.admin.username, platform.admin.password);
    await page.getByTestId('dashboard').waitFor();
    await shot('dashboard');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'SIMs' }).click();
    await page.locator('.sims-table tbody a').first().waitFor();
    await shot('sims');
    await page.getByRole('link', { name: iccid }).click();
    await page.getByRole('heading', { name: 'Identity' }).waitFor();
    await shot('sim-detail');
    for (const [link, name] of [['Alerts', 'alerts'], ['Bulk jobs', 'bulk-jobs'], ['Scheduler', 'scheduler'], ['Audit log', 'audit']] as const) {
      await nav.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await shot(name);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await nav.getByRole('link', { name: 'Dashboard' }).click({ force: true }).catch(() => page.goto(`${platform.url}/`));
    await shot('dashboard-phone');
  } finally {
    await browser.close();
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
