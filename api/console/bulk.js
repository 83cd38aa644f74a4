// @ts-check
// Bulk actions by filter: count first (a dry run), then confirm that count; the server sends one Temporal batch
// operation and answers what each refund did with the message. Every rule lives on the server.
import { $, buttonAt, h, inputAt, notify, selectAt, textAt } from './dom.js';
import { api, fieldsOf, statusOf } from './http.js';
import { listFilters, loadList } from './list.js';
import { session } from './session.js';

/** @typedef {import('./types.js').BulkAnswer} BulkAnswer */
/** @typedef {import('./types.js').BulkProgress} BulkProgress */

/** The count confirmed, with the request's Idempotency-Key: a second click on Confirm acts once. */
/** @type {{ action: string, query: string, body: Record<string, unknown>, matched: number, key: string } | undefined} */
let counted;

const ACTION_WORDS = /** @type {Record<string, string>} */ ({
  'accept-suggestion': 'Accept the suggestion of',
  recheck: 'Re-check now',
  decline: 'Decline',
});

/** The list's filters, with the problem code typed here. */
function filterQuery() {
  const params = listFilters();
  const code = inputAt('#bulk-problem').value.trim();
  if (code) params.set('problemCode', code);
  return params.toString();
}

function bodyOf(/** @type {string} */ action) {
  /** @type {Record<string, unknown>} */
  const body = {};
  const note = textAt('#bulk-note').value.trim();
  if (note) body.note = note;
  if (action === 'decline') body.statusReason = selectAt('#bulk-reason').value;
  return body;
}

function reset() {
  counted = undefined;
  $('#bulk-confirm-row').hidden = true;
}

/** Step 1: how many refunds would this touch? Nothing is sent to any refund. */
async function count() {
  reset();
  const action = selectAt('#bulk-action').value;
  const query = filterQuery();
  const body = bodyOf(action);
  try {
    /** @type {{ data: BulkAnswer }} */
    const { data } = await api(`/bulk/${action}?${query}`, { method: 'POST', body: { ...body, dryRun: true } });
    $('#bulk-count').textContent = `${data.matched} refund${data.matched === 1 ? '' : 's'} match.`;
    if (data.matched === 0) return;
    counted = { action, query, body, matched: data.matched, key: crypto.randomUUID() };
    buttonAt('#bulk-confirm').textContent = `${ACTION_WORDS[action] ?? action} ${data.matched} refunds`;
    $('#bulk-confirm-row').hidden = false;
  } catch (err) {
    if (statusOf(err) !== 401) notify(`Could not count: ${fieldsOf(err)}`, 'bad');
  }
}

/** @param {BulkProgress | undefined} p */
function progressText(p) {
  if (!p) return '';
  return `Batch ${p.state.toLowerCase()}: ${p.completed} of ${p.total} signalled${p.failed ? `, ${p.failed} failed` : ''}.`;
}

/** Step 2: the confirmed count, under one Idempotency-Key; follows the batch while it runs. */
async function confirm() {
  if (!counted) return;
  const { action, query, body, matched, key } = counted;
  const button = buttonAt('#bulk-confirm');
  button.disabled = true;
  try {
    /** @type {{ status: number, data: BulkAnswer }} */
    const { status, data } = await api(`/bulk/${action}?${query}`, {
      method: 'POST',
      body: { ...body, expectedCount: matched },
      headers: { 'Idempotency-Key': key },
    });
    showResult(data);
    let progress = data.progress;
    while (status === 202 && data.jobId && progress?.state === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 1000));
      /** @type {{ data: BulkProgress }} */
      const next = await api(`/bulk/jobs/${data.jobId}`);
      progress = next.data;
      $('#bulk-progress').textContent = progressText(progress);
    }
    reset();
    await loadList();
  } catch (err) {
    if (statusOf(err) === 409) reset();
    if (statusOf(err) !== 401) notify(`Nothing was sent: ${fieldsOf(err)}`, 'bad');
  } finally {
    button.disabled = false;
  }
}

const SAID = /** @type {Record<string, string>} */ ({
  accepted: 'accepted',
  refused: 'refused',
  notSignalled: 'not reached',
  unreadable: 'could not be read',
});

/** @param {BulkAnswer} data */
function showResult(data) {
  $('#bulk-progress').textContent = progressText(data.progress);
  const list = $('#bulk-result');
  list.replaceChildren(
    ...(data.refunds ?? []).map((r) =>
      h(
        'li',
        { className: r.outcome === 'accepted' ? 'good' : 'bad', 'data-workflow-id': r.workflowId },
        h('a', { href: `#/refund/${encodeURIComponent(r.workflowId)}` }, `${r.orderId} / ${r.refundId}`),
        `: ${SAID[r.outcome] ?? r.outcome}`,
        r.status ? ` (${r.status})` : '',
        r.problems?.length ? ` — ${r.problems.map((p) => p.message).join(' ')}` : '',
      ),
    ),
  );
  const accepted = (data.refunds ?? []).filter((r) => r.outcome === 'accepted').length;
  notify(
    data.replayed
      ? 'This request was already sent; nothing was sent again.'
      : `${accepted} of ${data.matched} refunds accepted it.`,
    accepted === data.matched ? 'good' : 'bad',
  );
}

/** The decline's status reasons, as the API documents them (one list, on the server). */
async function loadReasons() {
  try {
    /** @type {{ data: { paths: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { enum?: string[] }> } }> } } }> } }} */
    const { data } = await api('/openapi.json');
    const schema = data.paths['/bulk/decline']?.post?.requestBody?.content?.['application/json']?.schema;
    const reasons = schema?.properties?.statusReason?.enum ?? [];
    selectAt('#bulk-reason').replaceChildren(...reasons.map((r) => h('option', { value: r }, r)));
  } catch {
    // Without them a decline is refused by the server, naming the field.
  }
}

export function showBulk() {
  // Operators may accept and re-check; only admins may decline (the server refuses it anyway).
  $('#bulk-form').hidden = !session.may('operator');
  const decline = /** @type {HTMLOptionElement} */ ($('#bulk-action option[value="decline"]'));
  decline.hidden = decline.disabled = !session.may('admin');
  if (session.may('admin') && selectAt('#bulk-reason').options.length === 0) void loadReasons();
}

export function bindBulk() {
  $('#bulk-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void count();
  });
  buttonAt('#bulk-confirm').addEventListener('click', () => void confirm());
  selectAt('#bulk-action').addEventListener('change', () => {
    $('#bulk-reason-field').hidden = selectAt('#bulk-action').value !== 'decline';
    reset();
  });
  for (const el of ['#bulk-problem', '#bulk-note', '#bulk-reason', '#attention-only'])
    $(el).addEventListener('input', reset);
}
