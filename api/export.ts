import type { ListedRefund } from './visibility';

/**
 * GET /refunds.csv: one line per refund, for a spreadsheet or a hand-over. Every text cell is quoted (RFC 4180), so a
 * spreadsheet that splits on `;` or a tab (its locale's separator) still reads each cell whole, and a cell that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'` (OWASP's advice on CSV
 * injection), since order ids and problem messages come from outside. Numbers and booleans are written bare.
 */

type Column = [header: string, value: (r: ListedRefund) => string | number | boolean | undefined | null];

/** Every column comes from the list itself (search attributes and memo): an export of 5000 refunds is 50 list pages. */
export const exportColumns: Column[] = [
  ['workflow_id', (r) => r.row.workflowId],
  ['order_id', (r) => r.row.orderId],
  ['refund_id', (r) => r.row.refundId],
  ['store_order_id', (r) => r.row.storeOrderId ?? r.view.storeOrderId],
  ['status', (r) => r.view.status],
  ['execution_status', (r) => r.row.execution],
  ['needs_attention', (r) => r.view.needsAttention],
  ['attention_reasons', (r) => r.view.attentions.map((a) => a.reason).join(' ')],
  ['requested_amount', (r) => r.view.requested?.amount],
  ['planned_amount', (r) => r.view.planned?.amount],
  ['refunded_amount', (r) => r.view.refunded?.amount],
  ['currency', (r) => r.view.requested?.currency ?? r.view.planned?.currency ?? r.view.refunded?.currency],
  ['plan_revision', (r) => r.view.revision],
  ['idempotency_keys', (r) => r.view.keys.join(' ')],
  ['submission_attempts', (r) => r.view.attemptCount],
  ['problem_codes', (r) => r.view.problems.map((p) => p.code).join(' ')],
  ['problems', (r) => r.view.problems.map((p) => `${p.code}: ${p.message}`).join(' | ')],
  ['advisories', (r) => r.view.advisories?.map((p) => `${p.code}: ${p.message}`).join(' | ')],
  ['bwp_state', (r) => r.view.bwpState],
  ['started_at', (r) => r.row.startTime],
  ['parked_since', (r) => r.view.parkedSince],
  ['closed_at', (r) => r.row.closeTime],
  ['last_operator', (r) => r.view.lastOperator?.operator],
];

export function csvCell(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return String(value);
  const s = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${s.replaceAll('"', '""')}"`;
}

export function toCsv(columns: Column[], records: ListedRefund[]): string {
  const lines = [columns.map(([h]) => csvCell(h)).join(',')];
  for (const r of records) lines.push(columns.map(([, value]) => csvCell(value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
