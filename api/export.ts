import type { RefundContextData } from '../activities';
import { findRefund } from '../domain/context';
import { formatDecimal, fromBwpAmount } from '../domain/money';
import { RefundStatus, type RefundWorkflowState } from '../workflows/refund.contract';
import type { RefundRow } from './visibility';

/**
 * GET /refunds.csv: one line per refund, for a spreadsheet or a hand-over. RFC 4180 quoting, and a cell that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'` (OWASP's advice on CSV
 * injection), since order ids and problem messages come from outside.
 */

export interface ExportRecord {
  row: RefundRow;
  /** The workflow's state and order, when its query answered. */
  state?: RefundWorkflowState;
  context?: RefundContextData;
}

type Column = [header: string, value: (r: ExportRecord) => string | number | boolean | undefined | null];

const amountOf = (r: ExportRecord): { amount: string; currency: string } | undefined => {
  const order = r.context?.order;
  const refund = order && r.state ? findRefund(order, r.state.refundId) : undefined;
  const total = refund?.refundTotal?.totalAmount;
  if (!total) return undefined;
  try {
    return { amount: formatDecimal(fromBwpAmount(total), total.currencyCode), currency: total.currencyCode };
  } catch {
    return undefined;
  }
};

/** Every idempotency key the refund has used, and the one in use while a submission is in flight. */
const keysOf = (s: RefundWorkflowState | undefined): string[] => {
  if (!s) return [];
  const keys = s.attempts.map((a) => a.idempotencyKey);
  // The key the workflow fixed when the revision opened.
  if (s.status === RefundStatus.SUBMITTING) keys.push(s.idempotencyKey);
  return [...new Set(keys)];
};

export const exportColumns: Column[] = [
  ['workflow_id', (r) => r.row.workflowId],
  ['order_id', (r) => r.row.orderId],
  ['refund_id', (r) => r.row.refundId],
  ['store_order_id', (r) => r.row.storeOrderId ?? r.state?.storeOrderId],
  ['status', (r) => r.state?.status ?? r.row.status],
  ['execution_status', (r) => r.row.execution],
  ['needs_attention', (r) => r.row.needsAttention],
  ['attention_reason', (r) => r.state?.attention?.reason],
  ['requested_amount', (r) => amountOf(r)?.amount],
  [
    'planned_amount',
    (r) => (r.state?.plan ? formatDecimal(r.state.plan.report.total, r.state.plan.report.currency) : ''),
  ],
  ['refunded_amount', (r) => r.state?.refunded?.amount],
  ['currency', (r) => amountOf(r)?.currency ?? r.state?.plan?.report.currency ?? r.state?.refunded?.currency],
  ['plan_revision', (r) => r.state?.revision],
  ['idempotency_keys', (r) => keysOf(r.state).join(' ')],
  ['submission_attempts', (r) => r.state?.attempts.length],
  ['problem_codes', (r) => (r.state ? r.state.problems.map((p) => p.code) : r.row.problemCodes).join(' ')],
  ['problems', (r) => r.state?.problems.map((p) => `${p.code}: ${p.message}`).join(' | ')],
  ['advisories', (r) => r.state?.advisories?.map((p) => `${p.code}: ${p.message}`).join(' | ')],
  ['bwp_state', (r) => r.state?.bwpState],
  ['started_at', (r) => r.row.startTime],
  ['parked_since', (r) => r.state?.parkedSince],
  ['closed_at', (r) => r.row.closeTime],
  ['last_operator', (r) => r.state?.audit.at(-1)?.operator],
];

export function csvCell(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(columns: Column[], records: ExportRecord[]): string {
  const lines = [columns.map(([h]) => h).join(',')];
  for (const r of records) lines.push(columns.map(([, value]) => csvCell(value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
