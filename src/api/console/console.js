// The operator console: views over the /ops API, and the back office's actions. The browser sends the operator's Basic
// credentials itself (this page sits behind the same login), so this script never sees them.
// Data from the reporting copy is only ever inserted as text, never as HTML.

const $ = (selector) => document.querySelector(selector);

/** An element with attributes (`on…` become listeners) and children (strings become text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children.flat(Infinity).filter((child) => child !== undefined && child !== null));
  return node;
}

async function api(path, method = 'GET', content = undefined, contentType = 'application/json') {
  const headers = { Accept: 'application/json', ...(content === undefined ? {} : { 'Content-Type': contentType }) };
  const response = await fetch(path, { method, headers, body: content });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.errorMessage ?? `HTTP ${response.status}`);
  return answer;
}

const status = (text) => {
  $('#status').textContent = text;
};

/** RFC 3339 in UTC, to the second: every operator reads the same time. */
const time = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '');
const currencies = { 710: 'ZAR' };
const money = (t) =>
  t.amount === undefined ? '' : `${(t.amount / 100).toFixed(2)} ${currencies[t.currency] ?? t.currency ?? ''}`;
const answeredIn = (t) => (t.answeredAt ? `${Date.parse(t.answeredAt) - Date.parse(t.receivedAt)} ms` : '');
/** A table cell holding a button that reads as a link. */
const linkCell = (label, action) =>
  el('td', {}, el('button', { type: 'button', class: 'link', onclick: action }, label));
const badge = (text) => el('span', { class: `badge ${String(text).toLowerCase()}` }, text);

function age(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function table(headings, rows) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headings.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

async function showBacklog() {
  const { providers } = await api('/ops/backlog');
  const rows = providers.map((p) =>
    el(
      'tr',
      {},
      el('td', {}, p.provider ?? '(none)'),
      el('td', { class: 'number' }, String(p.pending)),
      el('td', {}, time(p.oldestPendingAt)),
      el('td', { class: 'number' }, p.oldestPendingAgeSeconds === undefined ? '' : age(p.oldestPendingAgeSeconds)),
      el('td', { class: 'number' }, String(p.refused)),
    ),
  );
  $('#backlog').replaceChildren(
    providers.length === 0
      ? el('p', { class: 'note' }, 'No advice is waiting for a provider.')
      : table(['Provider', 'Pending', 'Oldest pending', 'Age', 'Refused'], rows),
  );
}

let nextCursor;

function query() {
  const form = new FormData($('#search'));
  const params = new URLSearchParams();
  for (const [name, value] of form) if (String(value).trim()) params.set(name, String(value).trim());
  return params;
}

function transactionRow(t) {
  return el(
    'tr',
    {},
    el('td', {}, time(t.receivedAt)),
    el('td', {}, t.type),
    linkCell(
      t.messageId,
      guarded(() => showTransaction(t.id)),
    ),
    el('td', {}, t.channelId),
    el('td', {}, t.provider ?? ''),
    el('td', {}, badge(t.state)),
    el('td', { class: 'number' }, money(t)),
    el('td', { class: 'number' }, t.httpStatus ? String(t.httpStatus) : ''),
    el('td', { class: 'number' }, answeredIn(t)),
  );
}

async function search({ more = false } = {}) {
  const params = query();
  if (more) params.set('cursor', nextCursor);
  const page = await api(`/ops/transactions?${params}`);
  const body = $('#transactions tbody');
  const rows = page.transactions.map(transactionRow);
  if (more) body.append(...rows);
  else body.replaceChildren(...rows);
  nextCursor = page.nextCursor;
  $('#more').hidden = !nextCursor;
  status(body.children.length === 0 ? 'No transaction matches.' : `${body.children.length} shown, newest first.`);
}

const pretty = (value) => (value === undefined ? '(none)' : JSON.stringify(value, null, 2));
const legNames = { channel: 'channel ↔ switch', provider: 'switch ↔ provider' };

function leg(trace) {
  const outcome = trace.status === undefined ? 'no answer' : String(trace.status);
  return el(
    'article',
    { class: `leg ${trace.leg}` },
    el('h4', {}, `${legNames[trace.leg]} · ${trace.operation}`),
    el(
      'p',
      { class: 'exchange' },
      el('code', {}, `${trace.method ?? ''} ${trace.url ?? ''}`),
      ' → ',
      el('strong', { class: 'status' }, outcome),
      trace.durationMs === undefined ? '' : ` in ${trace.durationMs} ms`,
      ` · ${time(trace.startedAt)}`,
    ),
    el(
      'div',
      { class: 'bodies' },
      el('div', {}, el('h5', {}, 'Request'), el('pre', {}, pretty(trace.request))),
      el('div', {}, el('h5', {}, 'Response'), el('pre', {}, pretty(trace.response))),
    ),
  );
}

function adviceRow(a) {
  return el(
    'tr',
    {},
    el('td', {}, a.kind),
    el('td', {}, a.origin),
    el('td', {}, a.reason ?? ''),
    el('td', {}, badge(a.saf)),
    el('td', { class: 'number' }, String(a.attempts)),
    el('td', {}, a.lastError ?? ''),
    el('td', {}, time(a.acceptedAt)),
    el('td', {}, time(a.settledAt)),
  );
}

function facts(t) {
  const pairs = [
    ['Transaction id', t.id],
    ['Channel', t.channelId],
    ['Provider', [t.provider, t.voucherProvider].filter(Boolean).join(' / ')],
    ['Product', t.productId],
    ['Amount', money(t)],
    [
      'Voucher',
      [t.voucherCodeMasked, t.voucherSerialNumber && `serial ${t.voucherSerialNumber}`].filter(Boolean).join(', '),
    ],
    ['Switch reference', t.switchReference],
    ['Provider reference', t.providerReference],
    ['Answer', [t.httpStatus, t.errorType].filter(Boolean).join(' ')],
    ['Received', time(t.receivedAt)],
    ['Answered', time(t.answeredAt)],
  ];
  return el(
    'dl',
    {},
    pairs.filter(([, value]) => value).map(([name, value]) => [el('dt', {}, name), el('dd', {}, String(value))]),
  );
}

const actionNames = {
  confirm: 'Confirm',
  reverse: 'Reverse',
  'redeliver-advice': 'Send a refused advice again',
  'settle-advice-by-hand': 'Mark a refused advice settled by hand',
  'block-voucher': 'Block the voucher',
  'unblock-voucher': 'Unblock the voucher',
};

/** The form by which a back-office operator acts on the transaction; the API refuses a viewer. */
function actionForm(t, advices) {
  const refused = advices.filter((a) => a.saf === 'refused');
  const actions = Object.keys(actionNames).filter(
    (action) =>
      (!action.includes('advice') || refused.length > 0) && (!action.includes('voucher') || t.type === 'provision'),
  );
  return el(
    'form',
    { id: 'act', onsubmit: acting(() => act(t.id)) },
    el(
      'select',
      { name: 'action', 'aria-label': 'Action', required: '' },
      actions.map((action) => el('option', { value: action }, actionNames[action])),
    ),
    refused.length
      ? el(
          'select',
          { name: 'adviceId', 'aria-label': 'Refused advice' },
          refused.map((a) => el('option', { value: a.adviceId }, `${a.kind} ${a.adviceId}`)),
        )
      : undefined,
    el('input', { name: 'reason', type: 'text', required: '', 'aria-label': 'Reason', placeholder: 'Reason' }),
    el('button', { type: 'submit' }, 'Act'),
  );
}

function auditRow(e) {
  return el(
    'tr',
    {},
    el('td', {}, time(e.at)),
    el('td', {}, e.operator),
    el('td', {}, actionNames[e.action] ?? e.action),
    el('td', {}, badge(e.step)),
    el('td', {}, e.reason ?? ''),
    el('td', {}, e.outcome ?? ''),
  );
}

const auditTable = (events) =>
  events.length
    ? table(['At', 'Operator', 'Action', 'Step', 'Reason', 'Outcome'], events.map(auditRow))
    : el('p', { class: 'note' }, 'No operator action yet.');

async function act(transactionId) {
  const form = $('#act');
  const action = form.elements.action.value;
  const body = { action, reason: form.elements.reason.value };
  if (action.includes('advice')) body.adviceId = form.elements.adviceId.value;
  const said = await actOn(`/ops/transactions/${encodeURIComponent(transactionId)}/actions`, body);
  await Promise.all([showTransaction(transactionId), showApprovals()]);
  actionStatus(`${actionNames[action]}: ${said}`);
}

/**
 * POSTs an operator action and says how it ended: its last step's outcome, or the refusal. A
 * refused action has its record too, so the views are refreshed either way.
 */
async function actOn(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) return answer.errorMessage ?? `HTTP ${response.status}`;
  const last = answer.steps.at(-1);
  return last.step === 'requested' ? 'awaiting a second operator’s approval' : (last.outcome ?? last.step);
}

const actionStatus = (text) => {
  const line = $('#act-status');
  if (line) line.textContent = text;
};
/** As `guarded`, with failures in the action's status line. */
const acting = (action) => guarded(action, actionStatus);

async function showApprovals() {
  const { actions } = await api('/ops/actions');
  const rows = actions.map((a) =>
    el(
      'tr',
      { 'data-action': a.actionId },
      el('td', {}, time(a.at)),
      el('td', {}, a.operator),
      el('td', {}, actionNames[a.action] ?? a.action),
      linkCell(
        a.transactionId ?? '',
        guarded(() => showTransaction(a.transactionId)),
      ),
      el('td', {}, a.reason ?? ''),
      el(
        'td',
        {},
        el('button', { type: 'button', onclick: approving(() => decide(a.actionId, 'approval')) }, 'Approve'),
        ' ',
        el('button', { type: 'button', onclick: approving(() => decide(a.actionId, 'rejection')) }, 'Reject'),
      ),
    ),
  );
  $('#approvals').replaceChildren(
    rows.length
      ? table(['Asked at', 'Asked by', 'Action', 'Transaction', 'Reason', ''], rows)
      : el('p', { class: 'note' }, 'Nothing awaits approval.'),
  );
}

async function decide(actionId, decision) {
  const said = await actOn(`/ops/actions/${encodeURIComponent(actionId)}/${decision}`, {});
  await showApprovals();
  approvalStatus(said);
}

const approvalStatus = (text) => {
  $('#approvals-status').textContent = text;
};
/** As `guarded`, with failures in the approvals panel's status line. */
const approving = (action) => guarded(action, approvalStatus);

async function showTransaction(id) {
  const [detail, audit] = await Promise.all([
    api(`/ops/transactions/${encodeURIComponent(id)}`),
    api(`/ops/audit?${new URLSearchParams({ transactionId: id })}`).catch(() => ({ events: [] })),
  ]);
  const t = detail.transaction;
  const others = detail.sameMessageId.map((other) =>
    el('button', { type: 'button', class: 'link', onclick: guarded(() => showTransaction(other)) }, other),
  );
  const section = $('#detail');
  const parts = [
    el('h2', {}, `${t.type} ${t.messageId} `, badge(t.state)),
    facts(t),
    others.length ? el('p', { class: 'note' }, 'Same message id: ', others) : undefined,
    el('h3', {}, 'Legs'),
    detail.traces.length ? detail.traces.map(leg) : el('p', { class: 'note' }, 'No message recorded.'),
    el('h3', {}, 'Advices'),
    detail.advices.length
      ? table(
          ['Kind', 'Origin', 'Reason', 'SAF', 'Attempts', 'Last error', 'Accepted', 'Settled'],
          detail.advices.map(adviceRow),
        )
      : el('p', { class: 'note' }, 'No advice.'),
    el('h3', {}, 'Back office'),
    actionForm(t, detail.advices),
    el('p', { id: 'act-status', role: 'status' }),
    el('h3', {}, 'Audit trail'),
    auditTable(audit.events),
  ];
  section.replaceChildren(...parts.flat().filter((part) => part !== undefined));
  section.hidden = false;
  section.scrollIntoView({ block: 'start' });
}

/** Runs an action, reporting its failure in a status line (the transactions' by default) instead of losing it. */
const guarded =
  (action, report = status) =>
  (event) => {
    event?.preventDefault();
    action().catch((error) => report(`Could not load: ${error.message}`));
  };

const settlementStatus = (text) => {
  $('#settlement-status').textContent = text;
};
const minor = (amount, currency) => `${(amount / 100).toFixed(2)} ${currencies[currency] ?? currency}`;
const reportPath = (day) => `/ops/reports/${encodeURIComponent(day)}`;

async function showReports() {
  const { lastClosedDay, reports } = await api('/ops/reports');
  const day = $('#settlement').elements.day;
  if (!day.value) day.value = lastClosedDay;
  const rows = reports.map((r) =>
    el(
      'tr',
      {},
      linkCell(
        r.businessDay,
        settled(() => showReport(r.businessDay)),
      ),
      el('td', { class: 'number' }, String(r.transactionCount)),
      el('td', {}, time(r.producedAt)),
    ),
  );
  $('#reports').replaceChildren(
    rows.length === 0
      ? el('p', { class: 'note' }, `No report is stored yet. The last closed business day is ${lastClosedDay}.`)
      : table(['Business day', 'Transactions', 'Produced'], rows),
  );
}

async function showReport(day) {
  $('#settlement').elements.day.value = day;
  const response = await fetch(reportPath(day), { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 404) {
    $('#report').replaceChildren();
    settlementStatus(`No report is stored for ${day} yet: Produce report makes it.`);
    return;
  }
  if (!response.ok) throw new Error(body.errorMessage ?? `HTTP ${response.status}`);
  const lines = body.lines.map((l) =>
    el(
      'tr',
      {},
      el('td', {}, l.provider),
      el('td', {}, l.channelId),
      el('td', {}, l.type),
      el('td', {}, badge(l.state)),
      el('td', { class: 'number' }, String(l.count)),
      el('td', { class: 'number' }, minor(l.amount, l.currency)),
      el('td', { class: 'number' }, minor(l.fee, l.currency)),
    ),
  );
  const positions = body.positions.map((p) =>
    el(
      'tr',
      {},
      el('td', {}, p.provider),
      el('td', {}, p.channelId),
      el('td', { class: 'number' }, minor(p.net, p.currency)),
      el('td', { class: 'number' }, minor(p.fees, p.currency)),
    ),
  );
  $('#report').replaceChildren(
    el(
      'h3',
      {},
      `Business day ${body.businessDay} `,
      badge(body.final ? 'FINAL' : 'OPEN'),
      ' ',
      el(
        'a',
        { href: `${reportPath(body.businessDay)}?format=csv`, download: `settlement-${body.businessDay}.csv` },
        'CSV',
      ),
    ),
    el(
      'p',
      { class: 'note' },
      `${time(body.windowFrom)} to ${time(body.windowTo)} (cut-off ${body.cutoff}, ${body.timeZone}) · ${body.transactionCount} transactions` +
        (body.final ? ` · produced ${time(body.producedAt)}` : ' · the day is open: figures as they stand'),
    ),
    lines.length === 0
      ? el('p', { class: 'note' }, 'No transaction settled in this business day.')
      : table(['Provider', 'Channel', 'Type', 'State', 'Count', 'Amount', 'Fees'], lines),
    el('h3', {}, 'Net positions (confirmed)'),
    positions.length === 0
      ? el('p', { class: 'note' }, 'Nothing to settle.')
      : table(['Provider', 'Channel', 'Net (owed to the provider)', 'Fees'], positions),
  );
  settlementStatus('');
}

async function produceReport() {
  const day = $('#settlement').elements.day.value;
  settlementStatus(`Producing the report of ${day}…`);
  await api(reportPath(day), 'POST');
  await Promise.all([showReport(day), showReports()]);
}

/** As `guarded`, with failures in the settlement panel's status line. */
const settled = (action) => guarded(action, settlementStatus);

$('#search').addEventListener(
  'submit',
  guarded(() => Promise.all([search(), showBacklog()])),
);
$('#more').addEventListener(
  'click',
  guarded(() => search({ more: true })),
);
const reconciliationStatus = (text) => {
  $('#reconciliation-status').textContent = text;
};
/** As `guarded`, with failures in the reconciliation panel's status line. */
const reconciling = (action) => guarded(action, reconciliationStatus);
const outcomeNames = {
  matched: 'matched',
  amount_differs: 'amount differs',
  state_differs: 'state differs',
  only_at_provider: 'only at the provider',
  only_at_switch: 'only at the switch',
};
/** One side of an exception: a provider's line or the switch's record (files name no currency). */
const side = (s) =>
  s ? [s.type, s.amount === undefined ? '' : (s.amount / 100).toFixed(2), s.state].join(' · ') : '—';

async function showReconciliations() {
  const { reconciliations } = await api('/ops/reconciliations');
  const rows = reconciliations.map((r) =>
    el(
      'tr',
      {},
      linkCell(
        time(r.uploadedAt),
        reconciling(() => showReconciliation(r.id)),
      ),
      el('td', {}, r.provider),
      el('td', {}, r.businessDay),
      el('td', {}, r.uploadedBy),
      el('td', { class: 'number' }, String(r.lineCount)),
      el('td', { class: 'number' }, String(r.counts.matched)),
      el('td', { class: 'number' }, String(Object.values(r.counts).reduce((a, b) => a + b, 0) - r.counts.matched)),
    ),
  );
  $('#reconciliations').replaceChildren(
    rows.length === 0
      ? el('p', { class: 'note' }, 'No provider file has been reconciled yet.')
      : table(['Uploaded', 'Provider', 'Business day', 'By', 'Lines', 'Matched', 'Exceptions'], rows),
  );
}

function exceptionRow(reconciliationId, e) {
  const resolution = e.resolvedAt
    ? el('td', {}, `${e.resolution} (${e.resolvedBy}, ${time(e.resolvedAt)})`)
    : el(
        'td',
        {},
        el(
          'form',
          { class: 'resolve', onsubmit: reconciling(() => resolveException(reconciliationId, e.position)) },
          el('input', {
            name: 'reason',
            type: 'text',
            required: '',
            'aria-label': `Reason for ${e.switchReference}`,
            placeholder: 'Reason',
          }),
          el('button', { type: 'submit' }, 'Resolve'),
        ),
      );
  return el(
    'tr',
    { 'data-position': String(e.position) },
    el('td', {}, badge(outcomeNames[e.outcome])),
    el('td', {}, el('code', {}, e.switchReference)),
    el('td', {}, side(e.providerLine)),
    el('td', {}, side(e.switchRecord)),
    resolution,
  );
}

async function showReconciliation(id) {
  const r = await api(`/ops/reconciliations/${encodeURIComponent(id)}`);
  const summary = Object.entries(outcomeNames)
    .map(([outcome, name]) => `${r.counts[outcome]} ${name}`)
    .join(' · ');
  $('#reconciliation').replaceChildren(
    el('h3', {}, `${r.provider} · business day ${r.businessDay}`),
    el(
      'p',
      { class: 'note' },
      `${r.lineCount} lines, uploaded by ${r.uploadedBy} at ${time(r.uploadedAt)}: ${summary}`,
    ),
    r.exceptions.length === 0
      ? el('p', { class: 'note' }, 'No exception: every line matched.')
      : table(
          ['Outcome', 'Switch reference', 'At the provider', 'At the switch', 'Resolution'],
          r.exceptions.map((e) => exceptionRow(r.id, e)),
        ),
  );
  reconciliationStatus('');
}

async function uploadProviderFile() {
  const form = $('#reconcile');
  const file = form.elements.file.files[0];
  const params = new URLSearchParams({ provider: form.elements.provider.value, day: form.elements.day.value });
  reconciliationStatus(`Reconciling ${file.name}…`);
  const r = await api(`/ops/reconciliations?${params}`, 'POST', await file.text(), 'text/csv');
  await Promise.all([showReconciliation(r.id), showReconciliations()]);
}

async function resolveException(id, position) {
  const row = $(`#reconciliation tr[data-position="${position}"]`);
  const reason = row.querySelector('input[name=reason]').value;
  const path = `/ops/reconciliations/${encodeURIComponent(id)}/exceptions/${position}/resolution`;
  await api(path, 'POST', JSON.stringify({ reason }));
  await showReconciliation(id);
}

$('#settlement').addEventListener(
  'submit',
  settled(() => showReport($('#settlement').elements.day.value)),
);
$('#produce').addEventListener('click', settled(produceReport));
$('#reconcile').addEventListener('submit', reconciling(uploadProviderFile));
guarded(() => Promise.all([search(), showBacklog()]))();
settled(showReports)();
approving(showApprovals)();
reconciling(showReconciliations)();
