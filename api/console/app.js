// The repair page: plain DOM, no framework, no build step. Every rule lives on the server: the problems shown while the
// operator types come from POST /refunds/:id/repair/check, which runs the workflow's own validation (domain validateRepair).

const TERMINAL = ['REFUNDED', 'PARTIALLY_REFUNDED', 'DECLINED', 'RESOLVED_ELSEWHERE', 'CANCELLED'];
const CHECK_DEBOUNCE_MS = 250;

const $ = (selector) => {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

/** Builds an element: h('td', { className: 'num' }, 'text', child). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key in el && typeof value !== 'string') el[key] = value;
    else if (key === 'className' || key === 'textContent' || key === 'htmlFor' || key === 'value') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) el.append(child);
  return el;
}

// ---- session: the operator token and name, typed once, kept for this tab ----

const session = {
  get token() {
    return sessionStorage.getItem('refund-console.token') ?? '';
  },
  get operator() {
    return sessionStorage.getItem('refund-console.operator') ?? '';
  },
  save(token, operator) {
    sessionStorage.setItem('refund-console.token', token);
    sessionStorage.setItem('refund-console.operator', operator);
  },
  clear() {
    sessionStorage.removeItem('refund-console.token');
  },
};

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(path, {
    method,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${session.token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { detail: text };
  }
  if (!res.ok) {
    if (res.status === 401) showSignin('The operator token was not accepted. Sign in again.');
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data };
}

function notify(message, tone = '') {
  const el = $('#notice');
  el.className = `notice ${tone}`;
  el.textContent = message;
}

// ---- sign in ----

function showSignin(message) {
  session.clear();
  $('#token').value = '';
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => (el.hidden = false));
  $('#signed-in').hidden = true;
  if (message) notify(message, 'bad');
  $(session.operator ? '#token' : '#operator').focus();
}

function showSignedIn() {
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => (el.hidden = true));
  const p = $('#signed-in');
  p.hidden = false;
  p.replaceChildren(
    `Signed in as ${session.operator} · `,
    h('a', { href: '#/', onclick: (e) => (e.preventDefault(), showSignin()) }, 'Sign out'),
  );
}

$('#signin').addEventListener('submit', (event) => {
  event.preventDefault();
  const operator = $('#operator').value.trim();
  const token = $('#token').value;
  if (!operator || !token) {
    notify('Enter your name and the operator token.', 'bad');
    return;
  }
  session.save(token, operator);
  showSignedIn();
  notify('');
  void route();
});

// ---- the list of refunds waiting for repair ----

let nextCursor;

function age(iso) {
  if (!iso) return '';
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

async function loadList({ append = false } = {}) {
  const params = new URLSearchParams({ status: 'AWAITING_REPAIR', limit: '25', expand: 'summary' });
  if ($('#attention-only').checked) params.set('needsAttention', 'true');
  if (append && nextCursor) params.set('cursor', nextCursor);
  const tbody = $('#refund-table tbody');
  if (!append) tbody.replaceChildren();
  try {
    const { data } = await api(`/refunds?${params}`);
    nextCursor = data.nextCursor;
    for (const row of data.refunds) {
      const problems = row.summary?.problems ?? row.problemCodes.map((code) => ({ code, message: '' }));
      tbody.append(
        h(
          'tr',
          {},
          h('td', {}, row.orderId),
          h('td', {}, row.refundId),
          h(
            'td',
            { className: 'num' },
            row.summary?.requested ? `${row.summary.requested.amount} ${row.summary.requested.currency}` : '—',
          ),
          h(
            'td',
            {},
            h(
              'ul',
              { className: 'plain' },
              problems.map((p) => h('li', {}, h('span', { className: 'code' }, p.code), p.message)),
            ),
          ),
          h('td', {}, age(row.summary?.parkedSince ?? row.startTime), row.needsAttention ? ' · needs attention' : ''),
          h(
            'td',
            {},
            h(
              'a',
              { href: `#/refund/${encodeURIComponent(row.workflowId)}` },
              'Repair',
              h('span', { className: 'visually-hidden' }, ` refund ${row.refundId}`),
            ),
          ),
        ),
      );
    }
    $('#list-empty').hidden = tbody.children.length > 0;
    $('#more').hidden = !nextCursor;
  } catch (err) {
    if (err.status !== 401) notify(`Could not list refunds: ${err.message}`, 'bad');
  }
}

$('#refresh').addEventListener('click', () => void loadList());
$('#attention-only').addEventListener('change', () => void loadList());
$('#more').addEventListener('click', () => void loadList({ append: true }));

// ---- one refund: the Failed Refund dialog ----

/** The refund on screen: its workflow id, the repair form from the API, and the latest check. */
let current;

function money(amount, currency) {
  return amount === null || amount === undefined ? '—' : `${amount} ${currency}`;
}

/** Minor units of a decimal string, for the running sum only (validation is the server's). */
function minorOf(s, exponent) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(s).trim());
  if (!m || (m[2] ?? '').length > exponent) return undefined;
  return BigInt(m[1] + (m[2] ?? '').padEnd(exponent, '0'));
}
function formatMinor(v, exponent) {
  const digits = v.toString().padStart(exponent + 1, '0');
  return exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
const EXPONENTS = { JPY: 0, KRW: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 };

async function openRefund(workflowId) {
  current = undefined;
  $('#list-view').hidden = true;
  $('#repair-view').hidden = false;
  // Nothing can be sent until this refund is loaded.
  $('#confirm').disabled = true;
  $('#decline').disabled = true;
  $('#repair-view').setAttribute('aria-busy', 'true');
  $('#repair-title').textContent = 'Failed Refund';
  $('#sku-table tbody').replaceChildren();
  $('#why').replaceChildren();
  $('#problems').replaceChildren();
  $('#problems-summary').textContent = 'Loading…';
  $('#attention-box').hidden = true;
  try {
    const [{ data: form }, { data: detail }] = await Promise.all([
      api(`/refunds/${encodeURIComponent(workflowId)}/repair`),
      api(`/refunds/${encodeURIComponent(workflowId)}`),
    ]);
    current = { workflowId, form, detail, check: undefined, checking: 0 };
    renderRefund();
    $('#repair-view').removeAttribute('aria-busy');
    $('#repair-title').focus();
    if (form.waitingForRepair) await check();
    else renderProblems([], false);
  } catch (err) {
    if (err.status !== 401) notify(`Could not open ${workflowId}: ${err.message}`, 'bad');
  }
}

function renderFacts() {
  const { form, detail } = current;
  const facts = [
    ['Order', `${form.orderId}${form.storeOrderId ? ` (store order ${form.storeOrderId})` : ''}`],
    ['Refund', form.refundId],
    ['Status', h('span', { className: 'status', id: 'status' }, detail.status)],
    ["Amazon's estimate", money(form.requested.total, form.currency)],
    ['Reason asked', form.requested.reason ?? '(blank)'],
    // As the refund's workflow last read the order (what its validation uses), not a live figure.
    [
      'Left on the order (as last read)',
      `${money(form.order.remaining, form.currency)} of ${money(form.order.total, form.currency)}`,
    ],
  ];
  if (detail.refunded) facts.push(['Refunded', money(detail.refunded.amount, detail.refunded.currency)]);
  $('#refund-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** Why a person should look (attention reasons), and the actions a key in doubt allows: resubmit-verified, re-check. */
function renderAttention() {
  const { form } = current;
  const attentions = form.attentions ?? [];
  $('#attention-box').hidden = attentions.length === 0 && !form.inDoubt;
  $('#attention').replaceChildren(
    ...attentions.map((a) =>
      h(
        'li',
        {},
        h('span', { className: 'code' }, a.reason),
        ` since ${new Date(a.since).toLocaleString()}`,
        a.detail ? `: ${a.detail}` : '',
      ),
    ),
  );
  $('#resubmit-form').hidden = !form.inDoubt;
  if (form.inDoubt)
    $('#in-doubt').textContent =
      `Money may have moved under key ${form.inDoubt.idempotencyKey} (${form.inDoubt.reason}). Nothing goes out under a new key until you state that you checked the store.`;
}

function renderRefund() {
  const { form, detail } = current;
  renderAttention();
  $('#repair-title').textContent = `${form.waitingForRepair ? 'Failed Refund' : 'Refund'}: order ${form.orderId}`;
  renderFacts();
  $('#why').replaceChildren(
    ...form.problems.map((p) => h('li', {}, h('span', { className: 'code' }, p.code), p.message)),
  );
  const reasons = form.merchantReasons;
  const tbody = $('#sku-table tbody');
  tbody.replaceChildren(
    ...form.lines.map((line, i) => {
      const name = line.sku ?? line.lineItemId;
      const id = (what) => `line-${i}-${what}`;
      const row = h(
        'tr',
        { 'data-line': line.lineItemId },
        h('td', {}, h('input', { type: 'checkbox', id: id('tick'), 'aria-label': `Refund ${name}` })),
        h(
          'td',
          {},
          h('label', { htmlFor: id('tick') }, name),
          line.title ? h('span', { className: 'sku-title' }, line.title) : null,
        ),
        h(
          'td',
          { className: 'num' },
          line.ordered ?? '—',
          h('span', { className: 'sku-title' }, money(line.paid, form.currency)),
        ),
        h(
          'td',
          { className: 'num' },
          String(line.refunded),
          h('span', { className: 'sku-title' }, money(line.refundedAmount, form.currency)),
        ),
        h(
          'td',
          { className: 'num' },
          line.remaining ?? '—',
          h('span', { className: 'sku-title' }, money(line.remainingAmount, form.currency)),
        ),
        h(
          'td',
          {},
          h('label', { htmlFor: id('qty'), className: 'visually-hidden' }, `Quantity of ${name}`),
          h('input', {
            id: id('qty'),
            className: 'qty',
            type: 'number',
            min: '0',
            step: '1',
            max: line.remaining ?? undefined,
            inputmode: 'numeric',
          }),
        ),
        h(
          'td',
          {},
          h('label', { htmlFor: id('reason'), className: 'visually-hidden' }, `Reason for ${name}`),
          h(
            'select',
            { id: id('reason') },
            h('option', { value: '' }, 'Choose a reason'),
            reasons.map((r) => h('option', { value: r }, r)),
          ),
        ),
        h(
          'td',
          {},
          h('label', { htmlFor: id('amount'), className: 'visually-hidden' }, `Amount for ${name} in ${form.currency}`),
          h('input', {
            id: id('amount'),
            className: 'amount',
            inputmode: 'decimal',
            autocomplete: 'off',
            placeholder: '0.00',
          }),
        ),
      );
      return row;
    }),
  );
  const shipping = $('#shipping');
  shipping.disabled = form.shipping.refunded || /^0+(\.0+)?$/.test(form.shipping.amount);
  $('#shipping-amount').textContent = form.shipping.refunded
    ? 'already refunded'
    : money(form.shipping.amount, form.currency);
  $('#status-reason').replaceChildren(
    h('option', { value: '' }, 'Choose a status reason'),
    ...form.statusReasons.map((r) => h('option', { value: r }, r.replaceAll('_', ' ').toLowerCase())),
  );
  $('#confirm').disabled = false;
  $('#decline').disabled = false;
  if (form.suggestion) {
    $('#suggestion-why').replaceChildren(...form.suggestion.explanation.map((line) => h('li', {}, line)));
    fill(form.suggestion.repair);
  } else {
    fillFromRequest();
  }
  renderAudit(detail.audit ?? []);
  renderWaiting();
}

/** While the refund waits for repair: why, the suggestion and the forms. Afterwards: the outcome and the plan. */
function renderWaiting() {
  const { form, detail } = current;
  const waiting = form.waitingForRepair;
  $('#why-box').hidden = !waiting || form.problems.length === 0;
  $('#suggestion').hidden = !waiting || !form.suggestion;
  $('#repair-form').hidden = !waiting;
  $('#decline-form').hidden = !waiting;
  $('#outcome').hidden = waiting;
  if (waiting) return;
  const done = TERMINAL.includes(detail.status);
  $('#outcome-text').textContent = done
    ? describeEnd(detail)
    : `The refund is ${detail.status}${detail.status === 'AWAITING_REPAIR' ? '' : '; this page follows it'}.`;
  const lines = detail.plan?.report?.lines ?? [];
  $('#plan-table').hidden = lines.length === 0;
  if (lines.length > 0) {
    const { currency } = detail.plan.report;
    const exponent = EXPONENTS[currency] ?? 2;
    $('#plan-table tbody').replaceChildren(
      ...lines.map((l) =>
        h(
          'tr',
          {},
          h('td', {}, l.sku ?? l.lineItemId),
          h('td', { className: 'num' }, String(l.quantity)),
          h('td', {}, l.reason),
          h('td', { className: 'num' }, `${formatMinor(BigInt(l.amount), exponent)} ${currency}`),
        ),
      ),
    );
  }
}

/** Puts a repair (the suggestion) into the form. */
function fill(repair) {
  const { form } = current;
  form.lines.forEach((line, i) => {
    const given = repair.lines.find((l) => l.lineItemId === line.lineItemId);
    $(`#line-${i}-tick`).checked = Boolean(given?.ticked);
    $(`#line-${i}-qty`).value = given ? String(given.quantity) : '';
    $(`#line-${i}-reason`).value = given?.reason ?? '';
    $(`#line-${i}-amount`).value = given?.amount ?? '';
  });
  $('#shipping').checked = Boolean(repair.shipping);
  $('#total').value = repair.total ?? form.requested.total ?? '';
  $('#mode').value = repair.mode ?? 'auto';
  $('#note').value = '';
  updateRows();
}

/** Without a suggestion: what Buy with Prime asked for, with the default reason. */
function fillFromRequest() {
  const { form } = current;
  form.lines.forEach((line, i) => {
    $(`#line-${i}-tick`).checked = Boolean(line.requested);
    $(`#line-${i}-qty`).value = line.requested?.quantity ?? '';
    $(`#line-${i}-reason`).value = line.requested ? (form.defaultReason ?? '') : '';
    $(`#line-${i}-amount`).value = line.requested?.amount ?? '';
  });
  $('#shipping').checked = false;
  $('#total').value = form.requested.total ?? '';
  $('#mode').value = 'auto';
  updateRows();
}

/** The repair as the form says it: the ticked SKUs (index i of `lines` is row rowOf[i]). */
function readRepair() {
  const { form } = current;
  const lines = [];
  const rowOf = [];
  form.lines.forEach((line, i) => {
    if (!$(`#line-${i}-tick`).checked) return;
    const qty = $(`#line-${i}-qty`).value.trim();
    lines.push({
      lineItemId: line.lineItemId,
      ticked: true,
      quantity: qty === '' ? Number.NaN : Number(qty),
      reason: $(`#line-${i}-reason`).value,
      amount: $(`#line-${i}-amount`).value.trim(),
    });
    rowOf.push(i);
  });
  const total = $('#total').value.trim();
  const note = $('#note').value.trim();
  const repair = {
    lines,
    ...($('#shipping').checked ? { shipping: true } : {}),
    mode: $('#mode').value,
    ...(total ? { total } : {}),
    ...(note ? { note } : {}),
  };
  return { repair, rowOf };
}

function updateRows() {
  const { form } = current;
  const exponent = EXPONENTS[form.currency] ?? 2;
  let sum = 0n;
  let readable = true;
  form.lines.forEach((_, i) => {
    const ticked = $(`#line-${i}-tick`).checked;
    $(`#line-${i}-tick`).closest('tr').classList.toggle('unticked', !ticked);
    if (!ticked) return;
    const v = minorOf($(`#line-${i}-amount`).value, exponent);
    if (v === undefined) readable = false;
    else sum += v;
  });
  if ($('#shipping').checked) sum += minorOf(form.shipping.amount, exponent) ?? 0n;
  $('#sum').textContent = readable ? `${formatMinor(sum, exponent)} ${form.currency}` : '—';
}

let checkTimer;
function scheduleCheck() {
  updateRows();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => void check(), CHECK_DEBOUNCE_MS);
}

/** Asks the server for the problems of the repair as typed; a stale answer (the operator typed on) is dropped. */
async function check() {
  if (!current?.form.waitingForRepair) return;
  const seq = ++current.checking;
  const { repair, rowOf } = readRepair();
  // NaN is not JSON: a blank quantity goes as null so that the server names the field.
  const body = {
    ...repair,
    lines: repair.lines.map((l) => ({ ...l, quantity: Number.isNaN(l.quantity) ? null : l.quantity })),
  };
  try {
    const { data } = await api(`/refunds/${encodeURIComponent(current.workflowId)}/repair/check`, {
      method: 'POST',
      body,
    });
    if (seq !== current.checking) return;
    current.check = { ...data, rowOf };
    renderProblems(data.problems, data.ok, rowOf, data.plan);
  } catch (err) {
    if (seq === current.checking && err.status !== 401) notify(`Could not check the repair: ${err.message}`, 'bad');
  }
}

/** Lists the problems and marks the inputs they are about (field "lines[2].amount" is the 3rd ticked SKU's amount). */
function renderProblems(problems, ok, rowOf = [], plan) {
  const box = $('#problems-box');
  box.classList.toggle('ok', Boolean(ok));
  for (const el of document.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
  $('#problems').replaceChildren(
    ...problems.map((p, k) => {
      const li = h('li', { id: `problem-${k}` }, h('span', { className: 'code' }, p.code), p.message);
      const target = inputFor(p, rowOf);
      if (target) {
        target.setAttribute('aria-invalid', 'true');
        target.setAttribute(
          'aria-describedby',
          [target.getAttribute('aria-describedby'), `problem-${k}`].filter(Boolean).join(' '),
        );
      }
      return li;
    }),
  );
  const n = problems.length;
  $('#problems-summary').textContent = ok
    ? `No problems: ready to refund ${plan ? `${planTotal(plan)} as ${plan.mode === 'line-items' ? 'line items' : 'an appeasement with the per-SKU split'}` : ''}.`
    : n === 0
      ? waitingNow()
        ? 'Nothing checked yet.'
        : 'This refund is not waiting for repair.'
      : `${n} problem${n === 1 ? '' : 's'} to fix before confirming.`;
  const waiting = current?.form.waitingForRepair;
  $('#confirm').disabled = !waiting || !ok;
  $('#confirm-why').textContent = waiting && !ok ? 'Fix the problems above to confirm.' : '';
}

const waitingNow = () => Boolean(current?.form.waitingForRepair);

function planTotal(plan) {
  const { currency, total } = plan.report;
  const exponent = EXPONENTS[currency] ?? 2;
  return `${formatMinor(BigInt(total), exponent)} ${currency}`;
}

/** The part of a line a problem is about, when its field names only the line ("lines[2]"). */
function partFor(code) {
  if (/REASON/.test(code)) return 'reason';
  if (/QUANTITY|ITEMS_LEFT|INVALID_LINE_ITEMS/.test(code)) return 'qty';
  if (/AMOUNT|PRICE|TAX|TOTAL/.test(code)) return 'amount';
  return 'tick';
}

function inputFor(problem, rowOf) {
  const m = /^lines\[(\d+)\](?:\.(quantity|reason|amount))?$/.exec(problem.field ?? '');
  if (m) {
    const row = rowOf[Number(m[1])];
    const part = m[2] ? { quantity: 'qty', reason: 'reason', amount: 'amount' }[m[2]] : partFor(problem.code);
    if (row !== undefined) return document.getElementById(`line-${row}-${part}`);
  }
  if (problem.field === 'total') return $('#total');
  if (problem.field === 'shipping') return $('#shipping');
  if (problem.lineItemId && current) {
    const i = current.form.lines.findIndex((l) => l.lineItemId === problem.lineItemId);
    if (i >= 0) return document.getElementById(`line-${i}-${partFor(problem.code)}`);
  }
  return undefined;
}

function renderAudit(audit) {
  $('#audit').replaceChildren(
    ...(audit.length === 0
      ? [h('li', {}, 'No operator action yet.')]
      : audit.map((a) =>
          h(
            'li',
            {},
            `${new Date(a.at).toLocaleString()}: ${a.operator} — ${a.action} ${a.accepted ? 'accepted' : 'not accepted'}`,
          ),
        )),
  );
}

$('#repair-form').addEventListener('input', scheduleCheck);
$('#repair-form').addEventListener('change', scheduleCheck);
$('#use-suggestion').addEventListener('click', () => {
  if (current?.form.suggestion) {
    fill(current.form.suggestion.repair);
    void check();
  }
});

/** After a decision the workflow carries on alone: follow it until it finishes (or a minute passes). */
async function follow(workflowId) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && current?.workflowId === workflowId) {
    const { data } = await api(`/refunds/${encodeURIComponent(workflowId)}`);
    current.detail = data;
    renderFacts();
    renderAudit(data.audit ?? []);
    renderWaiting();
    if (TERMINAL.includes(data.status)) {
      // What is left on the order changed: read it again.
      current.form = (await api(`/refunds/${encodeURIComponent(workflowId)}/repair`)).data;
      renderFacts();
      return data;
    }
    await new Promise((r) => setTimeout(r, 700));
  }
  return undefined;
}

function describeEnd(state) {
  const refunded = state.refunded ? `; ${state.refunded.amount} ${state.refunded.currency} refunded` : '';
  const reason = state.result?.statusReason ? ` (${state.result.statusReason})` : '';
  return `Refund ${state.orderId} / ${state.refundId} is ${state.status}${reason}${refunded}.`;
}

$('#repair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  if (!current.check?.ok) {
    $('#problems-box').focus();
    notify('The repair has problems; fix them first.', 'bad');
    return;
  }
  const { repair } = readRepair();
  const workflowId = current.workflowId;
  $('#confirm').disabled = true;
  try {
    const { data } = await api(`/refunds/${encodeURIComponent(workflowId)}/repair`, {
      method: 'POST',
      body: repair,
      headers: { 'X-Operator': session.operator, 'Idempotency-Key': crypto.randomUUID() },
    });
    notify(`Repair accepted (plan revision ${data.revision}): refunding ${planTotal(data.plan)}…`, 'good');
    current.form.waitingForRepair = false;
    current.detail = { ...current.detail, status: 'SUBMITTING', plan: data.plan };
    renderWaiting();
    const end = await follow(workflowId);
    if (end) notify(describeEnd(end), TERMINAL.includes(end.status) && end.status !== 'DECLINED' ? 'good' : '');
  } catch (err) {
    if (err.status === 422 && err.problem.problems) {
      renderProblems(err.problem.problems, false, current.check?.rowOf ?? []);
      notify('The workflow did not accept the repair; nothing was sent.', 'bad');
    } else if (err.status !== 401) {
      notify(`The repair was not sent: ${err.message}`, 'bad');
    }
    $('#confirm').disabled = false;
  }
});

$('#recheck').addEventListener('click', async () => {
  if (!current) return;
  try {
    const { data } = await api(`/refunds/${encodeURIComponent(current.workflowId)}/recheck`, {
      method: 'POST',
      body: {},
      headers: { 'X-Operator': session.operator, 'Idempotency-Key': crypto.randomUUID() },
    });
    notify(`Re-check recorded: ${data.next ?? ''}`, 'good');
  } catch (err) {
    if (err.status !== 401) notify(err.message, 'bad');
  }
});

$('#resubmit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  const note = $('#verified-note').value.trim();
  if (!$('#verified').checked || !note) {
    notify('Tick the statement and say how you checked the store.', 'bad');
    return;
  }
  try {
    const { data } = await api(`/refunds/${encodeURIComponent(current.workflowId)}/resubmit-verified`, {
      method: 'POST',
      body: { verifiedNoMoneyMoved: true, note },
      headers: { 'X-Operator': session.operator, 'Idempotency-Key': crypto.randomUUID() },
    });
    notify(`Recorded: ${data.next ?? ''}`, 'good');
    await openRefund(current.workflowId);
  } catch (err) {
    if (err.status !== 401) notify(err.message, 'bad');
  }
});

$('#decline-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  const statusReason = $('#status-reason').value;
  if (!statusReason) {
    $('#status-reason').setAttribute('aria-invalid', 'true');
    $('#status-reason').focus();
    notify('Choose a status reason to decline.', 'bad');
    return;
  }
  const note = $('#decline-note').value.trim();
  const workflowId = current.workflowId;
  $('#decline').disabled = true;
  try {
    const { data } = await api(`/refunds/${encodeURIComponent(workflowId)}/decline`, {
      method: 'POST',
      body: { statusReason, ...(note ? { note } : {}) },
      headers: { 'X-Operator': session.operator, 'Idempotency-Key': crypto.randomUUID() },
    });
    current.form.waitingForRepair = false;
    if (data.finished) current.detail = data.state;
    renderFacts();
    renderWaiting();
    const end = data.finished ? data.state : await follow(workflowId);
    notify(end ? describeEnd(end) : 'Decline accepted; it is being reported to Buy with Prime.', 'good');
  } catch (err) {
    if (err.status !== 401) notify(`The refund was not declined: ${err.message}`, 'bad');
    $('#decline').disabled = false;
  }
});

// ---- routing: #/ is the list, #/refund/<workflow id> one refund ----

async function route() {
  if (!session.token || !session.operator) {
    showSignin();
    return;
  }
  const match = /^#\/refund\/(.+)$/.exec(location.hash);
  if (match) {
    await openRefund(decodeURIComponent(match[1]));
  } else {
    current = undefined;
    $('#repair-view').hidden = true;
    $('#list-view').hidden = false;
    await loadList();
  }
}

window.addEventListener('hashchange', () => {
  notify('');
  void route();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('#repair-view').hidden && !event.defaultPrevented) location.hash = '#/';
});

$('#operator').value = session.operator;
if (session.token && session.operator) showSignedIn();
void route();
