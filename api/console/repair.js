// @ts-check
// One refund: the "Failed Refund" dialog. Every rule lives on the server: the problems shown while the operator types
// come from POST /refunds/:id/repair/check, which runs the workflow's own validation (domain validateRepair), and each
// problem names the field it is about.
import { $, buttonAt, h, inputAt, notify, selectAt, textAt } from './dom.js';
import { ApiError, api, fieldsOf, messageOf, statusOf } from './http.js';
import { formatMinor, minorOf, money, zero } from './money.js';
import { session } from './session.js';

/** @typedef {import('./types.js').RepairForm} RepairForm */
/** @typedef {import('./types.js').RefundDetail} RefundDetail */
/** @typedef {import('./types.js').Problem} Problem */
/** @typedef {import('./types.js').Plan} Plan */
/** @typedef {import('./types.js').Repair} Repair */
/** @typedef {import('./types.js').RepairCheck} RepairCheck */
/** @typedef {import('./types.js').Recorded} Recorded */

const TERMINAL = ['REFUNDED', 'PARTIALLY_REFUNDED', 'DECLINED', 'RESOLVED_ELSEWHERE', 'CANCELLED'];
const CHECK_DEBOUNCE_MS = 250;

/**
 * The refund on screen: its workflow id, the repair form from the API, its detail, and the latest check.
 * @typedef {object} Current
 * @property {string} workflowId
 * @property {RepairForm} form
 * @property {RefundDetail} detail
 * @property {(RepairCheck & { rowOf: number[] }) | undefined} check
 * @property {number} checking
 */

/** @type {Current | undefined} */
let current;

const url = (/** @type {string} */ workflowId, suffix = '') => `/refunds/${encodeURIComponent(workflowId)}${suffix}`;

/** The id of a line's control: its tick, quantity, reason or amount (row `i` of the form's lines). */
const lineControl = (/** @type {number} */ i, /** @type {'tick' | 'qty' | 'reason' | 'amount'} */ part) =>
  `line-${i}-${part}`;
const tickAt = (/** @type {number} */ i) => inputAt(`#${lineControl(i, 'tick')}`);
const qtyAt = (/** @type {number} */ i) => inputAt(`#${lineControl(i, 'qty')}`);
const reasonAt = (/** @type {number} */ i) => selectAt(`#${lineControl(i, 'reason')}`);
const amountAt = (/** @type {number} */ i) => inputAt(`#${lineControl(i, 'amount')}`);

/** @param {Plan} plan */
const planTotal = (plan) => money(plan.report.total, plan.report.currency);

export const isOpen = () => current !== undefined;

export function closeRefund() {
  current = undefined;
  $('#repair-view').hidden = true;
}

/** @param {string} workflowId */
export async function openRefund(workflowId) {
  current = undefined;
  $('#list-view').hidden = true;
  $('#repair-view').hidden = false;
  // Nothing can be sent until this refund is loaded.
  buttonAt('#confirm').disabled = true;
  buttonAt('#decline').disabled = true;
  $('#repair-view').setAttribute('aria-busy', 'true');
  $('#repair-title').textContent = 'Failed Refund';
  $('#sku-table tbody').replaceChildren();
  $('#why').replaceChildren();
  $('#problems').replaceChildren();
  $('#attention-box').hidden = true;
  $('#problems-summary').textContent = 'Loading…';
  try {
    /** @type {{ data: RefundDetail }} */
    let { data: detail } = await api(url(workflowId));
    // A refund just started has not read its order yet: wait for that (a minute at most) before showing its form.
    for (const deadline = Date.now() + 60_000; detail.status === 'FETCHING' && Date.now() < deadline;) {
      $('#problems-summary').textContent = 'Reading the order from Buy with Prime…';
      await new Promise((resolve) => setTimeout(resolve, 700));
      if (location.hash !== `#/refund/${encodeURIComponent(workflowId)}`) return;
      ({ data: detail } = /** @type {{ data: RefundDetail }} */ (await api(url(workflowId))));
    }
    /** @type {{ data: RepairForm }} */
    const { data: form } = await api(url(workflowId, '/repair'));
    current = { workflowId, form, detail, check: undefined, checking: 0 };
    renderRefund(current);
    $('#repair-view').removeAttribute('aria-busy');
    $('#repair-title').focus();
    if (form.waitingForRepair) await check();
    else renderProblems([], false);
  } catch (err) {
    if (statusOf(err) !== 401) notify(`Could not open ${workflowId}: ${messageOf(err)}`, 'bad');
  }
}

/** @param {Current} cur */
function renderFacts(cur) {
  const { form, detail } = cur;
  /** @type {[string, string | HTMLElement][]} */
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

/** @param {Current} cur */
function renderRefund(cur) {
  const { form, detail } = cur;
  $('#repair-title').textContent = `${form.waitingForRepair ? 'Failed Refund' : 'Refund'}: order ${form.orderId}`;
  renderFacts(cur);
  $('#why').replaceChildren(
    ...form.problems.map((p) => h('li', {}, h('span', { className: 'code' }, p.code), p.message)),
    // Advisories stop nothing (the reason rules unless the merchant makes them block): shown, marked as such.
    ...(form.advisories ?? []).map((p) =>
      h(
        'li',
        { className: 'advisory' },
        h('span', { className: 'code' }, p.code),
        `Advisory, stops nothing: ${p.message}`,
      ),
    ),
  );
  const reasons = form.merchantReasons;
  $('#sku-table tbody').replaceChildren(
    ...form.lines.map((line, i) => {
      const name = line.sku ?? line.lineItemId;
      return h(
        'tr',
        { 'data-line': line.lineItemId },
        h('td', {}, h('input', { type: 'checkbox', id: lineControl(i, 'tick'), 'aria-label': `Refund ${name}` })),
        h(
          'td',
          {},
          h('label', { htmlFor: lineControl(i, 'tick') }, name),
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
          h('label', { htmlFor: lineControl(i, 'qty'), className: 'visually-hidden' }, `Quantity of ${name}`),
          h('input', {
            id: lineControl(i, 'qty'),
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
          h('label', { htmlFor: lineControl(i, 'reason'), className: 'visually-hidden' }, `Reason for ${name}`),
          h(
            'select',
            { id: lineControl(i, 'reason') },
            h('option', { value: '' }, 'Choose a reason'),
            reasons.map((r) => h('option', { value: r }, r)),
          ),
        ),
        h(
          'td',
          {},
          h(
            'label',
            { htmlFor: lineControl(i, 'amount'), className: 'visually-hidden' },
            `Amount for ${name} in ${form.currency}`,
          ),
          h('input', {
            id: lineControl(i, 'amount'),
            className: 'amount',
            inputmode: form.exponent === 0 ? 'numeric' : 'decimal',
            autocomplete: 'off',
            placeholder: zero(form.exponent),
          }),
        ),
      );
    }),
  );
  const shipping = inputAt('#shipping');
  shipping.disabled = form.shipping.refunded || minorOf(form.shipping.amount, form.exponent) === 0n;
  $('#shipping-amount').textContent = form.shipping.refunded
    ? 'already refunded'
    : money(form.shipping.amount, form.currency);
  inputAt('#total').placeholder = zero(form.exponent);
  $('#status-reason').replaceChildren(
    h('option', { value: '' }, 'Choose a status reason'),
    ...form.statusReasons.map((r) => h('option', { value: r }, r.replaceAll('_', ' ').toLowerCase())),
  );
  // A viewer sees everything and may check a repair, but only an operator can send one.
  buttonAt('#confirm').disabled = !session.may('operator');
  buttonAt('#decline').disabled = !session.may('operator');
  if (form.suggestion) {
    $('#suggestion-why').replaceChildren(...form.suggestion.explanation.map((line) => h('li', {}, line)));
    fill(cur, form.suggestion.repair);
  } else {
    fillFromRequest(cur);
  }
  renderAudit(detail.audit ?? []);
  renderAttention(cur);
  renderWaiting(cur);
}

/**
 * Why a person should look (attention reasons, in every status), and what a key in doubt allows: a re-check of the
 * same key, or (admins, after checking the store) a resubmission under a new key.
 * @param {Current} cur
 */
function renderAttention(cur) {
  const { form } = cur;
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
  const doubt = form.inDoubt;
  $('#in-doubt').hidden = !doubt;
  $('#in-doubt').textContent = doubt
    ? `Money may have moved under key ${doubt.idempotencyKey} (${doubt.reason}). Nothing goes out under a new key until an admin states that the store was checked.`
    : '';
  const admin = session.may('admin');
  $('#resubmit-form').hidden = !doubt || !admin || !form.waitingForRepair;
  $('#resubmit-who').hidden = !doubt || admin;
  $('#recheck').hidden = !session.may('operator') || TERMINAL.includes(cur.detail.status);
}

/**
 * While the refund waits for repair: why, the suggestion and the forms. Afterwards: the outcome and the plan.
 * @param {Current} cur
 */
function renderWaiting(cur) {
  const { form, detail } = cur;
  const waiting = form.waitingForRepair;
  $('#why-box').hidden = !waiting || form.problems.length === 0;
  $('#suggestion').hidden = !waiting || !form.suggestion;
  $('#repair-form').hidden = !waiting;
  $('#decline-form').hidden = !waiting;
  $('#outcome').hidden = waiting;
  if (waiting) return;
  $('#outcome-text').textContent = TERMINAL.includes(detail.status)
    ? describeEnd(detail)
    : `The refund is ${detail.status}${detail.status === 'AWAITING_REPAIR' ? '' : '; this page follows it'}.`;
  const report = detail.plan?.report;
  $('#plan-table').hidden = !report || report.lines.length === 0;
  if (!report) return;
  $('#plan-table tbody').replaceChildren(
    ...report.lines.map((l) =>
      h(
        'tr',
        {},
        h('td', {}, l.sku ?? l.lineItemId),
        h('td', { className: 'num' }, String(l.quantity)),
        h('td', {}, l.reason),
        h('td', { className: 'num' }, money(l.amount, report.currency)),
      ),
    ),
  );
}

/**
 * Puts a repair (the suggestion) into the form.
 * @param {Current} cur
 * @param {Repair} repair
 */
function fill(cur, repair) {
  const { form } = cur;
  form.lines.forEach((line, i) => {
    const given = repair.lines.find((l) => l.lineItemId === line.lineItemId);
    tickAt(i).checked = Boolean(given?.ticked);
    qtyAt(i).value = given ? String(given.quantity) : '';
    reasonAt(i).value = given?.reason ?? '';
    amountAt(i).value = given?.amount ?? '';
  });
  inputAt('#shipping').checked = Boolean(repair.shipping);
  inputAt('#total').value = repair.total ?? form.requested.total ?? '';
  selectAt('#mode').value = repair.mode ?? 'auto';
  textAt('#note').value = '';
  updateRows(cur);
}

/**
 * Without a suggestion: what Buy with Prime asked for, with the default reason.
 * @param {Current} cur
 */
function fillFromRequest(cur) {
  const { form } = cur;
  form.lines.forEach((line, i) => {
    tickAt(i).checked = Boolean(line.requested);
    qtyAt(i).value =
      line.requested?.quantity === null || line.requested === undefined ? '' : String(line.requested.quantity);
    reasonAt(i).value = line.requested ? (form.defaultReason ?? '') : '';
    amountAt(i).value = line.requested?.amount ?? '';
  });
  inputAt('#shipping').checked = false;
  inputAt('#total').value = form.requested.total ?? '';
  selectAt('#mode').value = 'auto';
  updateRows(cur);
}

/**
 * The repair as the form says it: the ticked SKUs (index k of `lines` is row rowOf[k]). A blank quantity goes as
 * null so that the server names the field.
 * @param {Current} cur
 * @returns {{ repair: Record<string, unknown> & { lines: Record<string, unknown>[] }, rowOf: number[] }}
 */
function readRepair(cur) {
  /** @type {Record<string, unknown>[]} */
  const lines = [];
  /** @type {number[]} */
  const rowOf = [];
  cur.form.lines.forEach((line, i) => {
    if (!tickAt(i).checked) return;
    const qty = qtyAt(i).value.trim();
    lines.push({
      lineItemId: line.lineItemId,
      ticked: true,
      quantity: qty === '' ? null : Number(qty),
      reason: reasonAt(i).value,
      amount: amountAt(i).value.trim(),
    });
    rowOf.push(i);
  });
  const total = inputAt('#total').value.trim();
  const note = textAt('#note').value.trim();
  const repair = {
    lines,
    ...(inputAt('#shipping').checked ? { shipping: true } : {}),
    mode: selectAt('#mode').value,
    ...(total ? { total } : {}),
    ...(note ? { note } : {}),
  };
  return { repair, rowOf };
}

/**
 * Marks unticked rows and shows what the ticked amounts add up to, in the currency's own decimal places.
 * @param {Current} cur
 */
function updateRows(cur) {
  const { form } = cur;
  let sum = 0n;
  let readable = true;
  form.lines.forEach((_, i) => {
    const ticked = tickAt(i).checked;
    tickAt(i).closest('tr')?.classList.toggle('unticked', !ticked);
    if (!ticked) return;
    const v = minorOf(amountAt(i).value, form.exponent);
    if (v === undefined) readable = false;
    else sum += v;
  });
  if (inputAt('#shipping').checked) sum += minorOf(form.shipping.amount, form.exponent) ?? 0n;
  $('#sum').textContent = readable ? money(formatMinor(sum, form.exponent), form.currency) : '—';
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let checkTimer;
function scheduleCheck() {
  if (!current) return;
  updateRows(current);
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => void check(), CHECK_DEBOUNCE_MS);
}

/** Asks the server for the problems of the repair as typed; a stale answer (the operator typed on) is dropped. */
async function check() {
  const cur = current;
  if (!cur?.form.waitingForRepair) return;
  const seq = ++cur.checking;
  const { repair, rowOf } = readRepair(cur);
  try {
    /** @type {{ data: RepairCheck }} */
    const { data } = await api(url(cur.workflowId, '/repair/check'), { method: 'POST', body: repair });
    if (seq !== cur.checking || current !== cur) return;
    cur.check = { ...data, rowOf };
    renderProblems(data.problems, data.ok, rowOf, data.plan);
  } catch (err) {
    if (seq === cur.checking && statusOf(err) !== 401) notify(`Could not check the repair: ${messageOf(err)}`, 'bad');
  }
}

/**
 * Lists the problems and marks the inputs they are about.
 * @param {Problem[]} problems
 * @param {boolean} ok
 * @param {number[]} [rowOf]
 * @param {Plan} [plan]
 */
function renderProblems(problems, ok, rowOf = [], plan) {
  const box = $('#problems-box');
  box.classList.toggle('ok', ok);
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
  const waiting = Boolean(current?.form.waitingForRepair);
  const how = plan?.mode === 'line-items' ? 'line items' : 'an appeasement with the per-SKU split';
  $('#problems-summary').textContent = ok
    ? `No problems: ready to refund ${plan ? `${planTotal(plan)} as ${how}` : ''}.`
    : n === 0
      ? waiting
        ? 'Nothing checked yet.'
        : 'This refund is not waiting for repair.'
      : `${n} problem${n === 1 ? '' : 's'} to fix before confirming.`;
  const allowed = session.may('operator');
  buttonAt('#confirm').disabled = !waiting || !ok || !allowed;
  $('#confirm-why').textContent = !allowed
    ? `Your role (${session.me?.role ?? 'none'}) can check a repair but not send it.`
    : waiting && !ok
      ? 'Fix the problems above to confirm.'
      : '';
}

/** The form control of each part a problem's field can name. */
const PARTS = /** @type {const} */ ({ ticked: 'tick', quantity: 'qty', reason: 'reason', amount: 'amount' });
/** @type {Record<string, string>} */
const TOP = { total: '#total', shipping: '#shipping', mode: '#mode' };

/**
 * The input a problem is about, from its field alone: "lines[2].amount" is the amount of the third ticked SKU, "total"
 * the total. A problem about the order's data names its line: that line's tick.
 * @param {Problem} problem
 * @param {number[]} rowOf
 * @returns {HTMLElement | undefined}
 */
function inputFor(problem, rowOf) {
  const m = /^lines\[(\d+)\]\.(ticked|quantity|reason|amount)$/.exec(problem.field);
  if (m) {
    const row = rowOf[Number(m[1])];
    const part = PARTS[/** @type {keyof typeof PARTS} */ (m[2])];
    if (row !== undefined) return document.getElementById(lineControl(row, part)) ?? undefined;
  }
  const top = TOP[problem.field];
  if (top) return $(top);
  if (problem.lineItemId && current) {
    const i = current.form.lines.findIndex((l) => l.lineItemId === problem.lineItemId);
    if (i >= 0) return tickAt(i);
  }
  return undefined;
}

/** @param {NonNullable<RefundDetail['audit']>} audit */
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

/**
 * After a decision the workflow carries on alone: follow it until it finishes (or a minute passes).
 * @param {string} workflowId
 * @returns {Promise<RefundDetail | undefined>}
 */
async function follow(workflowId) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && current?.workflowId === workflowId) {
    /** @type {{ data: RefundDetail }} */
    const { data } = await api(url(workflowId));
    const cur = current;
    if (cur?.workflowId !== workflowId) return undefined;
    cur.detail = data;
    renderFacts(cur);
    renderAudit(data.audit ?? []);
    renderWaiting(cur);
    if (TERMINAL.includes(data.status)) {
      // What is left on the order changed: read it again.
      /** @type {{ data: RepairForm }} */
      const { data: form } = await api(url(workflowId, '/repair'));
      cur.form = form;
      renderFacts(cur);
      return data;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
  return undefined;
}

/** @param {RefundDetail} state */
function describeEnd(state) {
  const refunded = state.refunded ? `; ${money(state.refunded.amount, state.refunded.currency)} refunded` : '';
  const reason = state.result?.statusReason ? ` (${state.result.statusReason})` : '';
  return `Refund ${state.orderId} / ${state.refundId} is ${state.status}${reason}${refunded}.`;
}

/** @param {SubmitEvent} event */
async function confirm(event) {
  event.preventDefault();
  const cur = current;
  if (!cur) return;
  if (!cur.check?.ok) {
    $('#problems-box').focus();
    notify('The repair has problems; fix them first.', 'bad');
    return;
  }
  const { repair } = readRepair(cur);
  const workflowId = cur.workflowId;
  buttonAt('#confirm').disabled = true;
  try {
    /** @type {{ data: { plan: Plan, revision: number } }} */
    const { data } = await api(url(workflowId, '/repair'), {
      method: 'POST',
      body: repair,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    notify(`Repair accepted (plan revision ${data.revision}): refunding ${planTotal(data.plan)}…`, 'good');
    cur.form.waitingForRepair = false;
    cur.detail = { ...cur.detail, status: 'SUBMITTING', plan: data.plan };
    renderWaiting(cur);
    const end = await follow(workflowId);
    if (end) notify(describeEnd(end), TERMINAL.includes(end.status) && end.status !== 'DECLINED' ? 'good' : '');
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.problem.problems) {
      renderProblems(err.problem.problems, false, cur.check.rowOf);
      notify('The workflow did not accept the repair; nothing was sent.', 'bad');
    } else if (statusOf(err) !== 401) {
      notify(`The repair was not sent: ${messageOf(err)}`, 'bad');
    }
    buttonAt('#confirm').disabled = false;
  }
}

/** @param {SubmitEvent} event */
async function decline(event) {
  event.preventDefault();
  const cur = current;
  if (!cur) return;
  const statusReason = selectAt('#status-reason').value;
  if (!statusReason) {
    $('#status-reason').setAttribute('aria-invalid', 'true');
    $('#status-reason').focus();
    notify('Choose a status reason to decline.', 'bad');
    return;
  }
  const note = inputAt('#decline-note').value.trim();
  const workflowId = cur.workflowId;
  buttonAt('#decline').disabled = true;
  try {
    /** @type {{ data: { finished: boolean, state?: RefundDetail } }} */
    const { data } = await api(url(workflowId, '/decline'), {
      method: 'POST',
      body: { statusReason, ...(note ? { note } : {}) },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    cur.form.waitingForRepair = false;
    if (data.finished && data.state) cur.detail = data.state;
    renderFacts(cur);
    renderWaiting(cur);
    const end = data.finished ? data.state : await follow(workflowId);
    notify(end ? describeEnd(end) : 'Decline accepted; it is being reported to Buy with Prime.', 'good');
  } catch (err) {
    if (statusOf(err) !== 401) notify(`The refund was not declined: ${messageOf(err)}`, 'bad');
    buttonAt('#decline').disabled = false;
  }
}

/** Re-check now: Buy with Prime, or (a key in doubt) the same key once more; recorded at once (202). */
async function recheck() {
  const cur = current;
  if (!cur) return;
  buttonAt('#recheck').disabled = true;
  try {
    /** @type {{ data: Recorded }} */
    const { data } = await api(url(cur.workflowId, '/recheck'), {
      method: 'POST',
      body: {},
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    notify(`Re-check recorded: ${data.next ?? 'the refund checks now'}.`, 'good');
  } catch (err) {
    if (statusOf(err) !== 401) notify(`The re-check was not recorded: ${messageOf(err)}`, 'bad');
  } finally {
    buttonAt('#recheck').disabled = false;
  }
}

/**
 * After an unknown outcome or a 409: the admin states they checked the store and no money moved under the key in
 * doubt; only this opens a new revision (and key).
 * @param {SubmitEvent} event
 */
async function resubmit(event) {
  event.preventDefault();
  const cur = current;
  if (!cur) return;
  const verified = inputAt('#verified');
  const noteInput = inputAt('#verified-note');
  const note = noteInput.value.trim();
  verified.toggleAttribute('aria-invalid', !verified.checked);
  noteInput.toggleAttribute('aria-invalid', !note);
  if (!verified.checked || !note) {
    (verified.checked ? noteInput : verified).focus();
    notify('Tick the statement and say how you checked the store.', 'bad');
    return;
  }
  const workflowId = cur.workflowId;
  buttonAt('#resubmit').disabled = true;
  try {
    /** @type {{ data: Recorded }} */
    const { data } = await api(url(workflowId, '/resubmit-verified'), {
      method: 'POST',
      body: { verifiedNoMoneyMoved: true, note },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    verified.checked = false;
    noteInput.value = '';
    await openRefund(workflowId);
    notify(`Resubmission recorded: ${data.next ?? ''}`, 'good');
  } catch (err) {
    if (statusOf(err) !== 401) notify(`The resubmission was not recorded: ${fieldsOf(err)}`, 'bad');
  } finally {
    buttonAt('#resubmit').disabled = false;
  }
}

export function bindRepair() {
  $('#repair-form').addEventListener('input', scheduleCheck);
  $('#repair-form').addEventListener('change', scheduleCheck);
  $('#use-suggestion').addEventListener('click', () => {
    if (current?.form.suggestion) {
      fill(current, current.form.suggestion.repair);
      void check();
    }
  });
  $('#repair-form').addEventListener('submit', (event) => void confirm(event));
  $('#decline-form').addEventListener('submit', (event) => void decline(event));
  $('#recheck').addEventListener('click', () => void recheck());
  $('#resubmit-form').addEventListener('submit', (event) => void resubmit(/** @type {SubmitEvent} */ (event)));
}
