// @ts-check
// The list of refunds waiting for repair.
import { $, h, inputAt, notify } from './dom.js';
import { api, messageOf, statusOf } from './http.js';
import { money } from './money.js';

/** @type {string | undefined} */
let nextCursor;

/** @param {string | undefined} iso */
function age(iso) {
  if (!iso) return '';
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** The list's filters, for the list itself and for the CSV export (which exports what the list shows). */
export function listFilters() {
  const params = new URLSearchParams({ status: 'AWAITING_REPAIR' });
  if (inputAt('#attention-only').checked) params.set('needsAttention', 'true');
  return params;
}

/** @param {{ append?: boolean }} [options] */
export async function loadList({ append = false } = {}) {
  const params = listFilters();
  params.set('limit', '25');
  params.set('expand', 'summary');
  if (append && nextCursor) params.set('cursor', nextCursor);
  const tbody = $('#refund-table tbody');
  if (!append) tbody.replaceChildren();
  try {
    /** @type {{ data: { refunds: import('./types.js').RefundRow[], nextCursor?: string } }} */
    const { data } = await api(`/refunds?${params}`);
    nextCursor = data.nextCursor;
    for (const row of data.refunds) {
      const problems = row.summary?.problems ?? row.problemCodes.map((code) => ({ code, message: '' }));
      const requested = row.summary?.requested;
      tbody.append(
        h(
          'tr',
          {},
          h('td', {}, row.orderId),
          h('td', {}, row.refundId),
          h('td', { className: 'num' }, requested ? money(requested.amount, requested.currency) : '—'),
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
    if (statusOf(err) !== 401) notify(`Could not list refunds: ${messageOf(err)}`, 'bad');
  }
}

export function bindList() {
  $('#refresh').addEventListener('click', () => void loadList());
  $('#attention-only').addEventListener('change', () => void loadList());
  $('#more').addEventListener('click', () => void loadList({ append: true }));
}
