// The idgraph console: plain JavaScript over the operator API (/api/v1, see /openapi.json).
// Every value from the API goes into the page as text (h() never parses HTML).

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
let session = null;

// ------------------------------------------------------------------ helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Replaces an element's children (arrays flattened, empty values dropped). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false && c !== ''));
}

function say(message, isError = false) {
  statusEl.textContent = message;
  statusEl.classList.toggle('error', isError);
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session?.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (res.status === 401 && path !== '/api/v1/session') {
    session = null;
    render();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
function ago(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (Math.abs(s) < 90) return s >= 0 ? `${s} s ago` : `in ${-s} s`;
  const m = Math.round(s / 60);
  if (Math.abs(m) < 90) return m >= 0 ? `${m} min ago` : `in ${-m} min`;
  const hr = Math.round(m / 60);
  if (Math.abs(hr) < 36) return hr >= 0 ? `${hr} h ago` : `in ${-hr} h`;
  const d = Math.round(hr / 24);
  return d >= 0 ? `${d} days ago` : `in ${-d} days`;
}
function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
const pill = (text, cls) => h('span', { class: `pill ${cls}` }, text);
const sevPill = (sev) => pill(sev, `sev-${sev}`);

function focusMain(title) {
  document.title = `${title} · idgraph`;
  main.focus();
}

// ------------------------------------------------------------------ routing

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  return { page: parts[0] || 'integrations', parts: parts.slice(1), params: new URLSearchParams(query ?? '') };
}

async function render() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session) {
    nav.hidden = true;
    who.hidden = true;
    return renderSignIn();
  }
  nav.hidden = false;
  who.hidden = false;
  document.getElementById('who-name').textContent = `${session.name} (${session.role})`;
  const r = route();
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === (r.page === 'person' ? 'people' : r.page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (r.page === 'findings') await renderFindings(r);
    else if (r.page === 'people') await renderPeople(r);
    else if (r.page === 'person') await renderPerson(r.parts[0], r.parts[1]);
    else await renderIntegrations();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    fill(main, h('div', { class: 'panel' }, h('h1', {}, 'Something went wrong'), h('p', { class: 'bad' }, err.message)));
  }
}

window.addEventListener('hashchange', () => {
  say('');
  render();
});

// ------------------------------------------------------------------ sign in

function renderSignIn() {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'api-key-hint' });
  const form = h(
    'form',
    { class: 'panel signin', onsubmit: signIn },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'api-key-hint', class: 'hint' }, 'Paste a key from ', h('code', {}, 'idgraph api-key create NAME --role admin'), '. It is sent once; the browser then keeps only a session cookie.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  async function signIn(e) {
    e.preventDefault();
    try {
      session = await api('POST', '/api/v1/session', { apiKey: input.value });
      input.value = '';
      say(`Signed in as ${session.name}.`);
      render();
    } catch (err) {
      say(err.message, true);
      input.focus();
    }
  }
  fill(main, form);
  focusMain('Sign in');
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  await api('DELETE', '/api/v1/session').catch(() => undefined);
  session = null;
  say('Signed out.');
  render();
});

// ------------------------------------------------------------------ integrations

async function renderIntegrations({ focus = true } = {}) {
  const { items } = await api('GET', '/api/v1/integrations');
  const admin = session.role === 'admin';
  const tiles = h('div', { class: 'tiles' }, items.map((i) => integrationTile(i, admin)));
  fill(
    main,
    h('h1', {}, 'Integrations'),
    items.length ? tiles : h('p', { class: 'panel muted' }, 'No Okta org connected yet.' + (admin ? ' Add one below.' : '')),
    admin ? addIntegrationForm() : h('p', { class: 'muted' }, 'Your key has the read role: adding, testing and collecting need an admin key.'),
  );
  if (focus) focusMain('Integrations');
}

function connectivitySummary(c) {
  if (!c) return pill('not tested', 'muted');
  if (c.ok) return pill('all resources readable', 'ok');
  const bad = c.resources.filter((r) => r.status !== 'ok').length;
  return pill(`${bad} of ${c.resources.length} resources not readable`, 'bad');
}

function integrationTile(i, admin) {
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const last = i.lastRun;
  const nextAt = [i.nextCollections.full, i.nextCollections.incremental].filter(Boolean).sort()[0];
  const tile = h(
    'article',
    { class: 'tile', 'aria-labelledby': `tile-${i.id}` },
    h('header', {}, h('h2', { id: `tile-${i.id}` }, i.name), connectivitySummary(i.lastConnectivity)),
    h(
      'dl',
      {},
      h('dt', {}, 'Org'), h('dd', {}, i.orgUrl),
      h('dt', {}, 'Credentials'), h('dd', {}, i.authMethod === 'ssws' ? 'API token' : `Service app ${i.clientId ?? ''}`),
      h('dt', {}, 'Actions'), h('dd', {}, i.allowActions ? 'allowed' : 'read-only'),
      h('dt', {}, 'Last collection'),
      h('dd', {}, last ? [pill(last.status, last.status === 'succeeded' ? 'ok' : last.status === 'running' ? '' : 'bad'), ` ${ago(last.endedAt ?? last.startedAt)}, took ${duration(last.durationMs)}`] : 'never'),
      h('dt', {}, 'Now'), h('dd', {}, i.runningRunId ? h('a', { href: `#/integrations?run=${i.runningRunId}` }, 'collecting…') : 'idle'),
      h('dt', {}, 'Next scheduled'), h('dd', {}, nextAt ? `${when(nextAt)} (${ago(nextAt)})` : 'when `idgraph workers` runs'),
      h('dt', {}, 'Log Streaming'),
      h('dd', {}, i.logStreaming.configured ? (i.logStreaming.lastEventAt ? `last event ${ago(i.logStreaming.lastEventAt)}` : `no event in ${i.logStreaming.lookBackDays} days`) : 'not configured'),
      h('dt', {}, 'Open findings'), h('dd', {}, h('a', { href: `#/findings?integration=${encodeURIComponent(i.name)}` }, String(i.openFindings))),
      h('dt', {}, 'Last tested'), h('dd', {}, ago(i.lastConnectivityAt)),
    ),
    admin
      ? h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: (e) => testConnectivity(i, results, e.currentTarget) }, 'Test Connectivity'),
          h('button', { type: 'button', onclick: (e) => collectNow(i, results, e.currentTarget) }, 'Collect Now'),
        )
      : null,
    results,
  );
  if (i.runningRunId) followRun(i.runningRunId, results);
  else if (lastRunView.has(i.id)) fill(results, runProgress(lastRunView.get(i.id)));
  return tile;
}

function connectivityTable(report) {
  return h(
    'table',
    {},
    h('caption', { class: 'muted' }, report.ok ? 'Every resource can be collected.' : 'Not every resource can be collected: grant what is listed.'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Resource'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, 'What to do'))),
    h(
      'tbody',
      {},
      report.resources.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, r.resource.replace('_', ' ')),
          h('td', {}, pill(r.status.replace('_', ' '), r.status === 'ok' ? 'ok' : 'bad')),
          h('td', {}, r.status === 'ok' ? '' : r.scope ? ['grant ', h('code', {}, r.scope), ` — ${r.message}`] : r.message),
        ),
      ),
    ),
  );
}

async function testConnectivity(i, results, button) {
  button.disabled = true;
  say(`Testing ${i.name}…`);
  try {
    const report = await api('POST', `/api/v1/integrations/${encodeURIComponent(i.name)}/test`);
    fill(results, h('h3', {}, 'Connectivity'), connectivityTable(report));
    say(report.ok ? `${i.name}: every resource is readable.` : `${i.name}: some resources are not readable; see what to grant.`, !report.ok);
  } catch (err) {
    say(err.message, true);
  } finally {
    button.disabled = false;
  }
}

async function collectNow(i, results, button) {
  button.disabled = true;
  try {
    const r = await api('POST', `/api/v1/integrations/${encodeURIComponent(i.name)}/collect`, {});
    say(r.joined ? `${i.name}: a collection was already under way; following it.` : `${i.name}: collection queued.`);
    if (r.runId) followRun(r.runId, results, () => (button.disabled = false));
    else button.disabled = false;
  } catch (err) {
    say(err.message, true);
    button.disabled = false;
  }
}

const followed = new Map();
/** The newest run view shown per integration, kept when the tiles are drawn again. */
const lastRunView = new Map();

function runProgress(run) {
  const rows = run.resources.map((r) => {
    const done = r.state === 'done';
    const pct = done ? 100 : null;
    return h(
      'tr',
      {},
      h('td', {}, r.resource.replace('_', ' ')),
      h('td', {}, pill(r.state, r.state === 'done' ? 'ok' : r.state === 'failed' ? 'bad' : '')),
      h('td', { class: 'num' }, String(r.objects)),
      h('td', { class: 'num' }, String(r.requests)),
      h('td', { class: 'num' }, String(r.waited429)),
      h('td', {}, done ? '' : r.etaSeconds !== null && r.etaSeconds !== undefined ? `~${duration(r.etaSeconds * 1000)}` : r.state === 'running' ? '…' : ''),
      h('td', {}, pct !== null ? h('div', { class: 'bar', role: 'img', 'aria-label': `${pct}%` }, h('span', { style: `width:${pct}%` })) : ''),
    );
  });
  const finished = run.status !== 'running';
  return h(
    'div',
    { class: 'run', 'data-status': run.status },
    h('h3', {}, finished ? `Collection ${run.status}` : 'Collecting…', run.eta ? ` — about ${duration(run.eta.seconds * 1000)} left at ${run.eta.requestsPerMinute} requests/min` : ''),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['Resource', 'State', 'Objects', 'Requests', '429s', 'ETA', ''].map((t, n) => h('th', { scope: 'col', class: n >= 2 && n <= 4 ? 'num' : undefined }, t)))),
      h('tbody', {}, rows),
    ),
    run.error ? h('p', { class: 'bad' }, run.error) : null,
  );
}

function followRun(runId, results, onEnd) {
  followed.get(results)?.close();
  const source = new EventSource(`/api/v1/runs/${encodeURIComponent(runId)}/events`);
  followed.set(results, source);
  const show = (e) => {
    const run = JSON.parse(e.data);
    lastRunView.set(run.integrationId, run);
    fill(results, runProgress(run));
  };
  source.addEventListener('progress', show);
  source.addEventListener('end', (e) => {
    show(e);
    source.close();
    const run = JSON.parse(e.data);
    say(`Collection of ${run.integration ?? 'the integration'} ${run.status}.`, run.status !== 'succeeded');
    onEnd?.();
    // The tiles show the last collection: draw them again (this panel stays, from lastRunView).
    if (route().page === 'integrations') renderIntegrations({ focus: false }).catch(() => undefined);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) onEnd?.();
  });
}

function addIntegrationForm() {
  const f = (id, label, attrs = {}, hint) => [h('label', { for: id }, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : null), h('input', { id, name: id, ...attrs })];
  const tokenBox = h('div', { id: 'token-fields' }, f('token', 'API token', { type: 'password', autocomplete: 'off' }, '(SSWS; Security → API → Tokens)'));
  const pem = h('textarea', { id: 'pem', name: 'pem', spellcheck: 'false', placeholder: '-----BEGIN PRIVATE KEY-----' });
  const pemFile = h('input', { id: 'pem-file', type: 'file', accept: '.pem,.key,application/x-pem-file,text/plain' });
  pemFile.addEventListener('change', async () => {
    const file = pemFile.files?.[0];
    if (file) pem.value = await file.text();
  });
  const appBox = h(
    'div',
    { id: 'app-fields', hidden: true },
    f('client-id', 'Client ID'),
    f('kid', 'Key ID (kid)'),
    h('label', { for: 'pem' }, 'Private key (PEM)', h('span', { class: 'hint' }, ' paste it, or upload the file')),
    pem,
    h('label', { for: 'pem-file' }, 'Upload a PEM file'),
    pemFile,
    f('scopes', 'Scopes', { placeholder: 'default: the read scopes idgraph needs' }, '(comma separated, optional)'),
  );
  const kind = (value, label, checked) =>
    h('label', {}, h('input', { type: 'radio', name: 'kind', value, checked, onchange: () => { tokenBox.hidden = value !== 'token'; appBox.hidden = value === 'token'; } }), label);
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'panel', id: 'add-integration', onsubmit: submit },
    h('h2', {}, 'Add an Okta org'),
    f('name', 'Name', { required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,62}' }, '(letters, digits, . _ -)'),
    f('org-url', 'Org URL', { required: true, type: 'url', placeholder: 'https://acme.okta.com' }),
    h('label', { class: 'check' }, h('input', { id: 'allow-http', type: 'checkbox' }), 'Allow http:// (local simulators only)'),
    h('label', { class: 'check' }, h('input', { id: 'allow-actions', type: 'checkbox' }), 'Allow remediation actions through it (default: read-only)'),
    f('event-source', 'Log Streaming event source', { placeholder: 'aws.partner/okta.com/ORG/STREAM' }, '(optional)'),
    h('fieldset', {}, h('legend', {}, 'Credentials'), h('div', { class: 'radio' }, kind('token', 'API token', true), kind('service_app', 'OAuth 2.0 service app', false)), tokenBox, appBox),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Test and add')),
    out,
  );
  async function submit(e) {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`).value.trim();
    const type = form.querySelector('input[name=kind]:checked').value;
    const body = {
      name: v('name'),
      orgUrl: v('org-url'),
      allowHttp: form.querySelector('#allow-http').checked,
      allowActions: form.querySelector('#allow-actions').checked,
      ...(v('event-source') ? { eventSource: v('event-source') } : {}),
      auth:
        type === 'token'
          ? { type, token: v('token') }
          : { type, clientId: v('client-id'), kid: v('kid'), privateKeyPem: pem.value, ...(v('scopes') ? { scopes: v('scopes').split(',').map((s) => s.trim()).filter(Boolean) } : {}) },
    };
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    say('Testing the credentials…');
    try {
      const created = await api('POST', '/api/v1/integrations', body);
      say(created.willSkip?.length
        ? `Added ${created.name}; scans will skip ${created.willSkip.join(', ')} until the credentials may read them (Test Connectivity shows what to grant).`
        : `Added ${created.name}: every resource is readable.`);
      await renderIntegrations();
    } catch (err) {
      say(err.message, true);
      fill(out, err.body?.connectivity ? connectivityTable(err.body.connectivity) : '');
    } finally {
      button.disabled = false;
      form.querySelector('#token').value = '';
    }
  }
  return form;
}

// ------------------------------------------------------------------ findings

async function renderFindings(r) {
  const integration = r.params.get('integration');
  const q = integration ? `?integration=${encodeURIComponent(integration)}` : '';
  const summary = await api('GET', `/api/v1/findings/summary${q}`);
  const total = Object.values(summary.bySeverity).reduce((a, b) => a + b, 0);
  const checks = summary.checks.filter((c) => c.open > 0);
  const quiet = summary.checks.filter((c) => c.open === 0);
  fill(
    main,
    h('h1', {}, integration ? `Findings in ${integration}` : 'Findings'),
    h(
      'div',
      { class: 'counts', role: 'list', 'aria-label': 'Open findings by severity' },
      Object.entries(summary.bySeverity).map(([sev, n]) => h('div', { class: `count sev-${sev}`, role: 'listitem' }, h('strong', {}, String(n)), sev)),
    ),
    h('p', { class: 'muted' }, `${total} open findings in ${checks.length} of ${summary.checks.length} checks. Open a check to see what it means, how to fix it and who is affected.`),
    checks.map((c) => checkRow(c, integration, r.params.get('check') === c.id)),
    quiet.length ? h('details', { class: 'check-row' }, h('summary', {}, `${quiet.length} ${quiet.length === 1 ? 'check' : 'checks'} without findings`), h('div', {}, h('ul', { class: 'plain' }, quiet.map((c) => h('li', {}, sevPill(c.severity), ' ', c.title))))) : null,
  );
  focusMain('Findings');
}

function checkRow(c, integration, open) {
  const admin = session?.role === 'admin';
  const body = h('div', {}, h('p', {}, h('strong', {}, 'What it means: '), c.rationale), h('p', {}, h('strong', {}, 'How to fix it: '), c.remediation));
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading the affected subjects…'));
  body.append(h('h3', {}, 'Affected'), list);
  const details = h('details', { class: 'check-row', 'data-check': c.id, open }, h('summary', {}, sevPill(c.severity), h('strong', {}, String(c.open)), c.title, h('code', { class: 'muted' }, c.id)), body);
  let loaded = false;
  const load = async () => {
    if (loaded || !details.open) return;
    loaded = true;
    const q = new URLSearchParams({ check: c.id, limit: '200', ...(integration ? { integration } : {}) });
    const page = await api('GET', `/api/v1/findings?${q}`);
    fill(
      list,
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ['Subject', 'Integration', 'First seen', 'Last seen', ...(admin ? ['Fix'] : [])].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, page.items.flatMap((f) => {
          const [kind, id] = [f.subject.slice(0, f.subject.indexOf(':')), f.subject.slice(f.subject.indexOf(':') + 1)];
          const name = f.label ?? f.subject;
          const fixRow = h('tr', { class: 'fix-row', hidden: true }, h('td', { colspan: '5' }));
          const row = h('tr', {},
            h('td', {}, kind === 'user' ? h('a', { href: `#/person/${encodeURIComponent(f.integration)}/${encodeURIComponent(id)}` }, name) : `${name} (${kind})`),
            h('td', {}, f.integration), h('td', {}, when(f.firstSeenAt)), h('td', {}, when(f.lastSeenAt)),
            admin ? h('td', {}, h('button', { type: 'button', class: 'fix', 'aria-expanded': 'false', onclick: (e) => toggleFix(e.currentTarget, fixRow, c.id, f) }, 'Fix…')) : null);
          return admin ? [row, fixRow] : [row];
        })),
      ),
      page.nextCursor ? h('p', { class: 'muted' }, `Showing the first ${page.items.length}; the API pages through the rest.`) : '',
    );
  };
  details.addEventListener('toggle', () => load().catch((err) => fill(list, h('p', { class: 'bad' }, err.message))));
  if (open) queueMicrotask(() => load());
  return details;
}

// ------------------------------------------------------------------ fixes

/** The outcome of an action (a refusal arrives as a 403 whose body is the action's response). */
async function postAction(a, integration, dryRun) {
  try {
    return await api('POST', '/api/v1/actions', { ...a, integration, dryRun });
  } catch (err) {
    if (err instanceof ApiError && err.body?.result) return err.body;
    throw err;
  }
}

function actionOutcome(r) {
  const cls = r.result.outcome === 'applied' || r.result.outcome === 'dry-run' ? 'ok' : 'bad';
  return h('div', { class: 'action-outcome' },
    h('p', {}, h('code', {}, `${r.action} ${r.subject}${r.target ? ` → ${r.target}` : ''}`), ' ', h('span', { class: cls }, r.result.outcome)),
    r.requests.length ? h('ul', { class: 'plain requests' }, r.requests.map((q) => h('li', {}, h('code', {}, `${q.method} ${q.path}`)))) : null,
    h('p', { class: 'muted' }, r.result.message));
}

/**
 * A finding's fix: the actions that resolve it, each dry-run first (the exact Okta requests are shown,
 * or why the integration may not act), then applied only after the operator confirms.
 */
async function toggleFix(button, fixRow, checkId, finding) {
  const open = fixRow.hidden;
  fixRow.hidden = !open;
  button.setAttribute('aria-expanded', String(open));
  if (!open) return;
  const cell = fixRow.firstChild;
  fill(cell, h('p', { class: 'muted' }, 'Planning the fix and dry-running it…'));
  try {
    const q = new URLSearchParams({ integration: finding.integration, check: checkId, subject: finding.subject });
    const plan = await api('GET', `/api/v1/findings/fixes?${q}`);
    const fix = plan.fixes[0];
    if (!fix || fix.actions.length === 0) return fill(cell, h('p', {}, fix?.note ?? 'No idgraph action resolves this finding; see "How to fix it" above.'));
    const dry = [];
    for (const a of fix.actions) dry.push(await postAction(a, finding.integration, true));
    const refused = dry.filter((r) => r.result.outcome !== 'dry-run');
    const results = h('div', { 'aria-live': 'polite' });
    const apply = h('button', { type: 'button', class: 'apply', disabled: refused.length > 0 }, `Apply ${fix.actions.length === 1 ? 'this action' : `these ${fix.actions.length} actions`} in Okta`);
    apply.addEventListener('click', async () => {
      if (!window.confirm(`Send these requests to Okta for ${finding.subject}?\n\n${dry.flatMap((r) => r.requests.map((q) => `${q.method} ${q.path}`)).join('\n')}`)) return;
      apply.disabled = true;
      fill(results, h('p', { class: 'muted' }, 'Applying…'));
      const done = [];
      for (const a of fix.actions) {
        const r = await postAction(a, finding.integration, false);
        done.push(r);
        if (r.result.outcome !== 'applied') break;
      }
      fill(results, h('h4', {}, 'Result'), done.map(actionOutcome), h('p', { class: 'muted' }, 'The finding resolves when the posture checks next run.'));
      say(done.every((r) => r.result.outcome === 'applied') ? `Applied the fix for ${finding.subject}` : `The fix for ${finding.subject} stopped: see its result`, !done.every((r) => r.result.outcome === 'applied'));
    });
    fill(cell,
      h('h4', {}, 'Dry run'),
      fix.note ? h('p', { class: 'muted' }, fix.note) : null,
      dry.map(actionOutcome),
      refused.length ? h('p', { class: 'bad' }, 'Nothing can be applied until the refusals above are resolved.') : apply,
      results);
  } catch (err) {
    fill(cell, h('p', { class: 'bad' }, err.message));
  }
}

// ------------------------------------------------------------------ people

async function renderPeople(r) {
  const q = r.params.get('q') ?? '';
  const input = h('input', { id: 'people-q', type: 'search', value: q, required: true, 'aria-label': 'Login, email or name' });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); location.hash = `#/people?q=${encodeURIComponent(input.value.trim())}`; } }, input, h('button', { type: 'submit' }, 'Search'));
  const results = h('div', { 'aria-live': 'polite' });
  fill(main, h('h1', {}, 'People'), form, results);
  focusMain('People');
  input.focus();
  if (!q) return fill(results, h('p', { class: 'muted' }, 'Search by part of a login, email address or name.'));
  const { items } = await api('GET', `/api/v1/people?q=${encodeURIComponent(q)}`);
  fill(
    results,
    items.length
      ? h('table', {},
          h('thead', {}, h('tr', {}, ['Name', 'Login', 'Status', 'Integration'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, items.map((p) => h('tr', {},
            h('td', {}, h('a', { href: `#/person/${encodeURIComponent(p.integration)}/${encodeURIComponent(p.userId)}` }, `${p.firstName ?? ''} ${p.lastName ?? ''}`.trim() || p.userId)),
            h('td', {}, p.login ?? ''), h('td', {}, p.status), h('td', {}, p.integration)))))
      : h('p', { class: 'muted' }, `Nobody matches “${q}”.`),
  );
}

async function renderPerson(integration, userId) {
  const p = await api('GET', `/api/v1/people/${encodeURIComponent(integration)}/${encodeURIComponent(userId)}`);
  const name = `${p.profile.firstName ?? ''} ${p.profile.lastName ?? ''}`.trim() || p.profile.login || p.userId;
  const section = (title, count, ...content) => h('section', { class: 'panel', 'aria-labelledby': `s-${title}` }, h('h2', { id: `s-${title}` }, `${title} `, h('span', { class: 'muted' }, `(${count})`)), content);
  const empty = (text) => h('p', { class: 'muted' }, text);
  const via = (x) => [x.direct ? 'direct' : null, ...x.viaGroups.map((g) => `via ${g.name ?? g.id}`)].filter(Boolean).join(', ');
  const pr = p.profile;
  fill(
    main,
    h('h1', {}, name, ' ', pill(pr.status, pr.status === 'ACTIVE' ? 'ok' : 'bad'), p.deleted ? [' ', pill('deleted in Okta', 'bad')] : ''),
    h('div', { class: 'grid2' },
      section('Profile', 1, h('dl', { class: 'kv' }, [
        ['Login', pr.login], ['Email', pr.email], ['Integration', p.integration], ['Okta id', p.userId], ['Arrived via', { api: "Okta's API", scim: 'SCIM provisioning', both: "Okta's API and SCIM provisioning" }[p.arrivedVia] ?? p.arrivedVia], ['Created', when(pr.created)], ['Activated', when(pr.activated)],
        ['Status changed', when(pr.statusChanged)], ['Last sign-in', pr.lastLogin ? `${when(pr.lastLogin)} (${ago(pr.lastLogin)})` : 'never'],
        ['Password changed', when(pr.passwordChanged)], ['Credentials', pr.credentialProvider ?? '—'],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]))),
      section('Open findings', p.openFindings.length, p.openFindings.length
        ? h('ul', { class: 'plain' }, p.openFindings.map((f) => h('li', {}, sevPill(f.severity), ' ', h('a', { href: `#/findings?check=${encodeURIComponent(f.checkId)}&integration=${encodeURIComponent(p.integration)}` }, f.title ?? f.checkId), h('span', { class: 'muted' }, ` since ${when(f.firstSeenAt)}`))))
        : empty('None.')),
      section('Admin roles', p.adminRoles.length, p.adminRoles.length
        ? h('ul', { class: 'plain' }, p.adminRoles.map((r) => h('li', {}, h('strong', {}, r.label ?? r.roleId), r.resourceSetId ? ` on ${r.resourceSetId}` : '', h('span', { class: 'muted' }, ` — ${via(r)}`))))
        : empty('No admin role.')),
      section('Factors', p.factors.length, p.factors.length
        ? h('ul', { class: 'plain' }, p.factors.map((f) => h('li', {}, f.factorType, f.provider ? ` (${f.provider})` : '', ' ', pill(f.status, f.status === 'ACTIVE' ? 'ok' : 'bad'))))
        : empty('No factor enrolled.')),
      section('Groups', p.groups.length, p.groups.length ? h('ul', { class: 'plain' }, p.groups.map((g) => h('li', {}, g.name, h('span', { class: 'muted' }, ` ${g.type}`)))) : empty('No group.')),
      section('Apps', p.apps.length, p.apps.length
        ? h('ul', { class: 'plain' }, p.apps.map((a) => h('li', {}, a.label ?? a.name, a.status !== 'ACTIVE' ? [' ', pill(a.status, 'bad')] : '', h('span', { class: 'muted' }, ` — ${via(a)}`))))
        : empty('No app.')),
    ),
    privilegeSection(p, section, empty),
    section('System Log events', p.events.length, p.events.length
      ? h('table', {},
          h('thead', {}, h('tr', {}, ['When', 'Event', 'As', 'Outcome', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, p.events.map((e) => h('tr', {}, h('td', {}, when(e.published)), h('td', {}, h('code', {}, e.eventType)), h('td', {}, e.role), h('td', {}, e.outcome ?? ''), h('td', {}, e.displayMessage ?? '')))))
      : empty('No event with this person as actor or target.'),
      h('p', { class: 'hint' }, p.eventsSince ? `The newest events by or about this person, since ${when(p.eventsSince)}.` : 'The newest events by or about this person.')),
  );
  focusMain(name);
}

/** Effective privilege: roles held (direct or through which group), the path to Tier Zero, who can reach the person. */
function privilegeSection(p, section, empty) {
  const pv = p.privilege;
  const step = (st) => h('li', {}, h('code', {}, st.edge), ' → ', st.to,
    st.grant ? h('span', { class: 'muted' }, ` (${st.grant.role}${st.grant.resourceSet ? ` on ${st.grant.resourceSet}` : ''} held by ${st.grant.principal})`) : '',
    st.rule ? h('span', { class: 'muted' }, ` (group rule "${st.rule.name}")`) : '');
  const path = (x) => h('li', {}, h('strong', {}, x.from), ` — ${x.length} step${x.length === 1 ? '' : 's'}`, h('ol', { class: 'steps' }, x.steps.map(step)));
  return section('Effective privilege', pv.effectiveRoles.length,
    pv.effectiveRoles.length
      ? h('ul', { class: 'plain' }, pv.effectiveRoles.map((r) => h('li', {}, h('strong', {}, r.role), r.resourceSet ? ` on ${r.resourceSet}` : '', h('span', { class: 'muted' }, r.via.length ? ` — through ${r.via.join(', ')}` : ' — direct'))))
      : empty('Holds no admin role, directly or through a group.'),
    h('h3', {}, 'Path to Tier Zero (SUPER_ADMIN, ORG_ADMIN)'),
    pv.pathToTierZero ? h('ol', { class: 'steps' }, pv.pathToTierZero.steps.map(step)) : empty('None.'),
    h('h3', {}, `Who can reach this person (${pv.reachedBy.length}${pv.reachedBy.length === 50 ? '+' : ''})`),
    pv.reachedBy.length ? h('ul', { class: 'plain' }, pv.reachedBy.slice(0, 10).map(path)) : empty('Nobody has a path to this person.'),
    h('p', { class: 'hint' }, `Computed from the graph at ${when(pv.computedAt)}; see also \`idgraph paths\`.`));
}

// ------------------------------------------------------------------ start

(async () => {
  try {
    session = await api('GET', '/api/v1/session');
  } catch {
    session = null;
  }
  render();
})();
