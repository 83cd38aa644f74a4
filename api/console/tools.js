// @ts-check
// Tools beside the list: export it as CSV, and start a refund whose event was lost upstream.
import { $, h, inputAt, notify } from './dom.js';
import { api, fieldsOf, messageOf, statusOf } from './http.js';
import { listFilters } from './list.js';

/** @typedef {import('./types.js').Started} Started */

/** GET /refunds.csv with the list's filters, saved as a file (a plain link could not send the key). */
async function exportCsv() {
  try {
    /** @type {{ data: string, headers: Headers }} */
    const { data, headers } = await api(`/refunds.csv?${listFilters()}`, { headers: { Accept: 'text/csv' } });
    const name = /filename="([^"]+)"/.exec(headers.get('content-disposition') ?? '')?.[1] ?? 'refunds.csv';
    const url = URL.createObjectURL(new Blob([data], { type: 'text/csv' }));
    const link = h('a', { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    // One header line, one line per refund, and the CRLF after the last.
    notify(`Exported ${Math.max(0, data.split('\r\n').length - 2)} refunds to ${name}.`, 'good');
  } catch (err) {
    if (statusOf(err) !== 401) notify(`Could not export: ${messageOf(err)}`, 'bad');
  }
}

/** @type {Record<Started['outcome'], string>} */
const SAID = {
  started: 'started',
  joined: 'was already running; it re-checks now',
  finished: 'has already finished',
};

/**
 * POST /refunds: the refund's event was lost upstream; start it by its ids, then open it.
 * @param {SubmitEvent} event
 * @param {(message: string) => void} opened Shows the message on the refund's page once it opens.
 */
async function startRefund(event, opened) {
  event.preventDefault();
  const order = inputAt('#start-order');
  const refund = inputAt('#start-refund');
  const orderId = order.value.trim();
  const refundId = refund.value.trim();
  for (const [el, value] of /** @type {const} */ ([
    [order, orderId],
    [refund, refundId],
  ])) {
    if (value) el.removeAttribute('aria-invalid');
    else el.setAttribute('aria-invalid', 'true');
  }
  if (!orderId || !refundId) {
    notify('Enter the order id and the refund id.', 'bad');
    (orderId ? refund : order).focus();
    return;
  }
  try {
    /** @type {{ data: Started }} */
    const { data } = await api('/refunds', {
      method: 'POST',
      body: { orderId, refundId },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    opened(`Refund ${refundId} of order ${orderId} ${SAID[data.outcome] ?? data.outcome}.`);
    location.hash = `#/refund/${encodeURIComponent(data.workflowId)}`;
  } catch (err) {
    if (statusOf(err) !== 401) notify(`The refund was not started: ${fieldsOf(err)}`, 'bad');
  }
}

/** @param {(message: string) => void} opened */
export function bindTools(opened) {
  $('#export').addEventListener('click', () => void exportCsv());
  $('#start-form').addEventListener('submit', (event) => void startRefund(/** @type {SubmitEvent} */ (event), opened));
}
