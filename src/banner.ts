import type { Welcome } from './server.js';

/** The URL a person opens: a wildcard listen address becomes `localhost`. */
export function browserUrl(listenUrl: string): string {
  const url = new URL(listenUrl);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]' || url.hostname === '::') url.hostname = 'localhost';
  return url.origin;
}

/**
 * The human-readable end of `npm start` on a terminal: where to go and how to sign in. Printed only
 * when stdout is a TTY; JSON log lines stay the output everywhere else (and carry the same facts).
 */
export function renderBanner(url: string, welcome: Welcome, options: { color: boolean }): string {
  const bold = (s: string) => (options.color ? `\u001b[1m${s}\u001b[22m` : s);
  const dim = (s: string) => (options.color ? `\u001b[2m${s}\u001b[22m` : s);
  const rows: Array<[string, string]> = [
    ['Open', bold(`${url}/`)],
    ['API docs', `${url}/docs`],
  ];
  if (welcome.adminUsername !== undefined) rows.push(['Username', bold(welcome.adminUsername)]);
  if (welcome.adminPassword !== undefined) {
    rows.push(['Password', `${bold(welcome.adminPassword)}  ${dim('(shown once: change it after signing in)')}`]);
  } else if (welcome.adminUsername !== undefined) {
    rows.push(['Password', dim('the one shown when this admin was created (or ADMIN_PASSWORD)')]);
  } else {
    rows.push(['Sign in', dim('no users yet: set ADMIN_USERNAME and ADMIN_PASSWORD, or run `npm run cli -- create-user`')]);
  }
  const title = welcome.demoMode
    ? `simfleet is ready - ${bold('demo mode')}: the built-in 1NCE simulator stands in for 1NCE`
    : 'simfleet is ready';
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = ['', `  ${title}`, '', ...rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`), '', `  ${dim('Stop with Ctrl+C.')}`, ''];
  return `${lines.join('\n')}\n`;
}
