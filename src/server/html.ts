/**
 * The small HTML kit of the web pages: an escaping template tag and the shared layout (navigation, the
 * signed-in user, logout). No script and no external resource: pages work behind a strict CSP and on a
 * network without Internet access.
 */
import type { Principal } from './auth';

/** A piece of HTML already escaped (or written by us): it is inserted as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Piece = SafeHtml | string | number | boolean | null | undefined | Piece[];

function render(piece: Piece): string {
  if (piece === null || piece === undefined || piece === false) return '';
  if (piece instanceof SafeHtml) return piece.value;
  if (Array.isArray(piece)) return piece.map(render).join('');
  return escapeHtml(String(piece));
}

/** Template tag: interpolated values are escaped unless they are {@link SafeHtml} (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: Piece[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** The pages of the navigation bar. */
export const NavPage = { queues: 'queues', runs: 'runs', deadLetters: 'dead-letters', reports: 'reports' } as const;
export type NavPage = (typeof NavPage)[keyof typeof NavPage];

const NAV: ReadonlyArray<{ page: NavPage; href: string; label: string }> = [
  { page: NavPage.queues, href: '/queues', label: 'Queues' },
  { page: NavPage.runs, href: '/runs', label: 'Runs' },
  { page: NavPage.deadLetters, href: '/dead-letters', label: 'Dead letters' },
  { page: NavPage.reports, href: '/reports', label: 'Reports' },
];

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #5b6470; --line: #d0d7de; --accent: #0b5cad; --bad: #b42318; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9aa4af; --line: #30363d; --accent: #58a6ff; --bad: #f85149; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; margin-right: 1rem; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 600; text-decoration: none; }
header .who { margin-left: auto; display: flex; gap: .6rem; align-items: center; color: var(--muted); }
main { padding: 1rem; max-width: 100rem; }
h1 { font-size: 1.35rem; margin: .2rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
form.search { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: 1rem; }
form.search label, form.login label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; }
form.inline { display: inline; }
form.login { display: flex; flex-direction: column; gap: .8rem; max-width: 20rem; }
.message { padding: .5rem .8rem; border: 1px solid var(--line); border-radius: 4px; margin-bottom: 1rem; }
.message.error { border-color: var(--bad); color: var(--bad); }
.message.ok { border-color: var(--ok); color: var(--ok); }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export interface LayoutOptions {
  title: string;
  /** Highlighted in the navigation. */
  page?: NavPage;
  /** The signed-in user (absent on the login page). */
  principal?: Principal;
  /** CSRF token for the logout form (session users only). */
  csrfToken?: string;
  body: SafeHtml;
}

/** The whole page: head, header with navigation and user, main content. */
export function layout(o: LayoutOptions): string {
  const nav = o.principal
    ? html`<nav aria-label="Main"><ul>${NAV.map(
        (n) =>
          html`<li><a id="nav-${n.page}" href="${n.href}"${n.page === o.page ? new SafeHtml(' aria-current="page"') : ''}>${n.label}</a></li>`,
      )}</ul></nav>
      <div class="who"><span id="current-user">${o.principal.name}</span> (<span id="current-role">${o.principal.role}</span>)
      ${
        o.principal.via === 'session' && o.csrfToken
          ? html`<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${o.csrfToken}"><button id="logout" type="submit">Log out</button></form>`
          : ''
      }</div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(o.title)} · passerelle</title>
<style>${STYLE}</style>
</head>
<body>
<header><span class="brand">passerelle</span>${render(nav)}</header>
<main id="main">
<h1>${escapeHtml(o.title)}</h1>
${o.body.value}
</main>
</body>
</html>`;
}
