/**
 * The gateway's own HTML pages (login, runs, dead letters, reports): pure functions from data to HTML.
 * Elements that a person or a browser test acts on have stable ids (`#username`, `#login-submit`,
 * `#dead-letters`, `#dl-<id>`, `#replay-<id>`...) and visible labels.
 */
import type { Run } from '../state/runs';
import { html, layout, NavPage, SafeHtml } from './html';
import type { Principal } from './auth';
import type { DeadLetterView, ReportInfo } from './types';

const ENC = encodeURIComponent;

export function loginPage(o: { next: string; error?: string }): string {
  return layout({
    title: 'Log in · Connexion',
    body: html`
${o.error ? html`<p id="login-error" class="message error" role="alert">${o.error}</p>` : ''}
<form id="login-form" class="login" method="post" action="/login">
  <input type="hidden" name="next" value="${o.next}">
  <label for="username">User name · Identifiant
    <input id="username" name="username" autocomplete="username" required autofocus></label>
  <label for="password">Password · Mot de passe
    <input id="password" name="password" type="password" autocomplete="current-password" required></label>
  <button id="login-submit" type="submit">Log in</button>
</form>`,
  });
}

export function logoutPage(o: { principal: Principal; csrfToken: string }): string {
  const body =
    o.principal.via === 'session'
      ? html`<form id="logout-form" method="post" action="/logout"><input type="hidden" name="_csrf" value="${o.csrfToken}">
  <button id="logout-confirm" type="submit">Log out · Se déconnecter</button></form>`
      : html`<p class="muted">You are signed in with ${o.principal.via === 'basic' ? 'HTTP Basic' : 'an API token'}: close the browser to log out.</p>`;
  return layout({ title: 'Log out', principal: o.principal, csrfToken: o.csrfToken, body });
}

export function messagePage(o: { title: string; message: string; principal?: Principal; csrfToken?: string }): string {
  return layout({
    title: o.title,
    ...(o.principal ? { principal: o.principal } : {}),
    ...(o.csrfToken ? { csrfToken: o.csrfToken } : {}),
    body: html`<p id="message" class="message error" role="alert">${o.message}</p>`,
  });
}

const time = (iso: string | undefined): SafeHtml => (iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : html``);

export function runsPage(o: { principal: Principal; csrfToken: string; runs: Run[] }): string {
  const counters = ['fetched', 'valid', 'quarantined', 'unchanged', 'changed', 'delivered', 'conflicts', 'failed'] as const;
  const rows = o.runs.map(
    (r) => html`<tr id="run-${r.id}" data-status="${r.status}">
  <td>${r.id}</td><td>${r.kind}</td><td>${r.source}</td><td>${r.trigger}</td><td>${r.status}</td>
  <td>${time(r.startedAt)}</td><td>${time(r.finishedAt)}</td>
  ${counters.map((c) => html`<td class="num" data-counter="${c}">${r.counts[c]}</td>`)}
  <td>${r.error ?? (r.failedAttempts ? `${r.failedAttempts} failed attempt(s), retried; last: ${r.lastError ?? ''}` : '')}</td></tr>`,
  );
  return layout({
    title: 'Runs · Exécutions',
    page: NavPage.runs,
    principal: o.principal,
    csrfToken: o.csrfToken,
    body: html`
<p class="muted">The last runs, newest first. <a href="/api/runs">JSON</a></p>
<table id="runs">
<caption class="visually-hidden">Last runs and their counts</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">Trigger</th><th scope="col">Status</th>
<th scope="col">Started</th><th scope="col">Finished</th>${counters.map((c) => html`<th scope="col" class="num">${c}</th>`)}<th scope="col">Error</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="${8 + counters.length}" class="muted">No run yet.</td></tr>`}</tbody>
</table>`,
  });
}

/** The search form's values as typed (strings), to fill the form back in. */
export interface DeadLetterForm {
  code: string;
  system: string;
  numUnique: string;
  since: string;
  until: string;
  status: string;
  /** Maximum results (API). */
  limit?: string;
}

export function deadLettersPage(o: {
  principal: Principal;
  csrfToken: string;
  form: DeadLetterForm;
  items: DeadLetterView[];
  error?: string;
  notice?: string;
}): string {
  const operator = o.principal.role === 'operator';
  const f = o.form;
  const statusOption = (value: string, label: string) =>
    html`<option value="${value}"${f.status === value ? new SafeHtml(' selected') : ''}>${label}</option>`;
  const rows = o.items.map((d) => {
    const actions =
      operator && d.status === 'open'
        ? html`<form class="inline" method="post" action="/dead-letters/${ENC(d.id)}/replay"><input type="hidden" name="_csrf" value="${o.csrfToken}"><button id="replay-${d.id}" class="replay" type="submit" aria-label="Replay ${d.id}">Replay</button></form>
<form class="inline" method="post" action="/dead-letters/${ENC(d.id)}/discard"><input type="hidden" name="_csrf" value="${o.csrfToken}"><button id="discard-${d.id}" class="discard" type="submit" aria-label="Discard ${d.id}">Discard</button></form>`
        : '';
    return html`<tr id="dl-${d.id}" data-id="${d.id}" data-status="${d.status}">
  <td>${time(d.at)}</td><td>${d.code}</td><td>${d.errorClass}</td><td>${d.system}</td><td>${d.queue}</td><td>${d.origin}</td>
  <td>${d.numUnique ?? ''}</td><td>${d.message}</td><td class="num">${d.attempts}</td><td>${d.status}</td>${operator ? html`<td>${actions}</td>` : ''}</tr>`;
  });
  const columns = 10 + (operator ? 1 : 0);
  return layout({
    title: 'Dead letters · Messages en échec',
    page: NavPage.deadLetters,
    principal: o.principal,
    csrfToken: o.csrfToken,
    body: html`
${o.notice ? html`<p id="dl-notice" class="message ok" role="status">${o.notice}</p>` : ''}
${o.error ? html`<p id="dl-error" class="message error" role="alert">${o.error}</p>` : ''}
<form id="dl-search-form" class="search" method="get" action="/dead-letters" role="search">
  <label for="dl-code">Code <input id="dl-code" name="code" value="${f.code}" size="14"></label>
  <label for="dl-system">System · Système <input id="dl-system" name="system" value="${f.system}" size="10"></label>
  <label for="dl-numUnique">Demand · N° unique <input id="dl-numUnique" name="numUnique" value="${f.numUnique}" size="20"></label>
  <label for="dl-since">Since · Depuis <input id="dl-since" name="since" type="date" value="${f.since}"></label>
  <label for="dl-until">Until · Jusqu'au <input id="dl-until" name="until" type="date" value="${f.until}"></label>
  <label for="dl-status">Status · État <select id="dl-status" name="status">
    ${statusOption('open', 'open')}${statusOption('replayed', 'replayed')}${statusOption('discarded', 'discarded')}${statusOption('all', 'all')}
  </select></label>
  <button id="dl-search" type="submit">Search · Rechercher</button>
</form>
<p class="muted"><span id="dl-count">${o.items.length}</span> dead letter(s). <a href="/api/audit">Audit trail (JSON)</a></p>
<table id="dead-letters">
<caption class="visually-hidden">Dead letters matching the search</caption>
<thead><tr><th scope="col">At</th><th scope="col">Code</th><th scope="col">Class</th><th scope="col">System</th><th scope="col">Queue</th>
<th scope="col">Origin</th><th scope="col">Demand</th><th scope="col">Message</th><th scope="col" class="num">Attempts</th><th scope="col">Status</th>${
      operator ? html`<th scope="col">Actions</th>` : ''
    }</tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="${columns}" class="muted">No dead letter matches.</td></tr>`}</tbody>
</table>`,
  });
}

export function reportsPage(o: { principal: Principal; csrfToken: string; reports: ReportInfo[] }): string {
  const rows = o.reports.map(
    (r) => html`<tr id="report-${r.id}"><td><a href="/reports/${ENC(r.id)}">${r.title ?? r.id}</a></td><td>${time(r.createdAt)}</td><td>${r.format ?? ''}</td></tr>`,
  );
  return layout({
    title: 'Reports · Rapports',
    page: NavPage.reports,
    principal: o.principal,
    csrfToken: o.csrfToken,
    body: html`
<p class="muted">Reconciliation reports, newest first. <a href="/api/reports">JSON</a></p>
<table id="reports">
<caption class="visually-hidden">Reconciliation reports</caption>
<thead><tr><th scope="col">Report</th><th scope="col">Created</th><th scope="col">Format</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="3" class="muted">No report yet.</td></tr>`}</tbody>
</table>`,
  });
}
