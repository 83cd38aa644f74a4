import { z } from 'zod';
import type { Role } from '../common/operator-keys';
import { Problem } from '../domain/problems';
import type { OperatorAction } from '../workflows/refund.contract';
import { AcceptSuggestionInput, DeclineInput, RecheckInput } from './schemas';
import { canonicalJson, digestOf } from './util';
import { ListRefundsQuery } from './visibility';

/**
 * Bulk actions by filter: what they read and answer (zod, for the routes and /openapi.json) and how a job is named.
 * One Temporal batch operation signals exactly the refunds the action listed and counted (api/bulk-jobs.ts), never a
 * loop of our own. The filter is GET /refunds's; the message is the refund's own (workflows/refund.messages.ts), so each
 * workflow parses, decides and audits it exactly as it would one sent to that refund alone. The batch's job id and the
 * message's request id are derived from the client's Idempotency-Key: the same request again answers the same job and
 * never signals twice (and a workflow ignores a request id it has seen); the same key with another filter or body is
 * a 409, and nothing is sent.
 */

/** What the page and the API call each bulk action, its signal, and the role it needs (docs/security.md). */
export const BULK_ACTIONS = {
  'accept-suggestion': { action: 'acceptSuggestion', role: 'operator', input: AcceptSuggestionInput },
  decline: { action: 'decline', role: 'admin', input: DeclineInput },
  recheck: { action: 'recheck', role: 'operator', input: RecheckInput },
} as const satisfies Record<string, { action: OperatorAction; role: Role; input: z.ZodObject }>;
export type BulkActionName = keyof typeof BULK_ACTIONS;

/** At most this many refunds per bulk action: each one's outcome is read back from its workflow. */
export const BULK_MAX = 1000;

/** The list's filters, parsed by the list's own schema; at least one, so no bulk action hits every refund by mistake. */
export const BulkFilterQuery = ListRefundsQuery.pick({
  status: true,
  needsAttention: true,
  orderId: true,
  storeOrderId: true,
  problemCode: true,
})
  .strict()
  .refine((q) => Object.values(q).some((v) => v !== undefined), {
    message: 'name at least one filter: status, needsAttention, orderId, storeOrderId or problemCode',
  });
export type BulkFilter = z.output<typeof BulkFilterQuery>;

const BulkControl = {
  dryRun: z.boolean().optional().describe('true: only count the refunds the filter matches; nothing is sent.'),
  expectedCount: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(BULK_MAX, `must be at most ${BULK_MAX}`)
    .optional()
    .describe('The dry run’s count: if the filter now matches another number of refunds, nothing is sent (409).'),
};

/** Each action's body: its message input (strict, as on one refund) with the dry-run controls. */
export const BULK_BODIES = {
  'accept-suggestion': AcceptSuggestionInput.extend(BulkControl).strict(),
  decline: DeclineInput.extend(BulkControl).strict(),
  recheck: RecheckInput.extend(BulkControl).strict(),
} as const satisfies Record<BulkActionName, z.ZodType>;

export const BulkJobParams = z.object({
  jobId: z
    .string()
    .max(200, 'must be at most 200 characters')
    .regex(/^refunds-bulk-[a-z-]+-[0-9a-f]{32}$/, 'must be a jobId this API gave out'),
});

export const BulkRefundOutcome = z.object({
  workflowId: z.string(),
  orderId: z.string(),
  refundId: z.string(),
  outcome: z
    .enum(['accepted', 'refused', 'notSignalled', 'unreadable'])
    .describe(
      "accepted / refused: the refund's own verdict on the message, from its audit trail (its memo); notSignalled: the batch has not reached it yet, or it had ended before its signal; unreadable: it could not be read.",
    ),
  status: z.string().optional().describe('The refund status when it was read back.'),
  next: z.string().optional(),
  problems: z.array(Problem).optional().describe('Why it was refused.'),
});
export type BulkRefundOutcome = z.infer<typeof BulkRefundOutcome>;

export const BulkProgress = z.object({
  jobId: z.string(),
  state: z.enum(['RUNNING', 'COMPLETED', 'FAILED', 'UNSPECIFIED']),
  startTime: z.string().optional(),
  closeTime: z.string().optional(),
  total: z.number().int().describe('Refunds the batch operation signals: exactly those the action listed.'),
  completed: z.number().int().describe('Signals delivered.'),
  failed: z.number().int().describe('Signals that could not be delivered (e.g. the refund ended meanwhile).'),
  reason: z.string().optional(),
});
export type BulkProgress = z.infer<typeof BulkProgress>;

export const BulkAnswer = z.object({
  action: z.enum(Object.keys(BULK_ACTIONS) as [BulkActionName, ...BulkActionName[]]),
  dryRun: z.boolean(),
  matched: z.number().int().describe('Running refunds the filter matches (at the time of this answer).'),
  query: z.string().describe('The visibility query the filter became.'),
  jobId: z.string().optional().describe('The batch operation (absent for a dry run or when nothing matched).'),
  requestId: z.string().optional().describe('The request id every refund records in its audit trail.'),
  replayed: z
    .boolean()
    .optional()
    .describe(
      'true: this Idempotency-Key already started the job; nothing was sent again (its per-refund outcome was in the first answer).',
    ),
  progress: BulkProgress.optional(),
  refunds: z.array(BulkRefundOutcome).optional().describe('Per refund: what it did with the message.'),
});
export type BulkAnswer = z.infer<typeof BulkAnswer>;

/** One job per operator, action and Idempotency-Key (and deployment: the task queue). */
export function bulkJobId(action: BulkActionName, operator: string, requestId: string, taskQueue: string): string {
  return `refunds-bulk-${action}-${digestOf([taskQueue, operator, action, requestId]).slice(0, 32)}`;
}

/**
 * What a job was asked to do: its filter and body as parsed. Kept in the batch's reason, so the same key sent again
 * with another filter or body is told apart from a retry (409) without a store of our own.
 */
export function bulkFingerprint(filter: BulkFilter, body: Record<string, unknown>): string {
  return digestOf(['bulk-request/v1', canonicalJson(filter), canonicalJson(body)]);
}

const FINGERPRINT = / \[request ([0-9a-f]{64})\]$/;

/** The batch's reason: who asked for what, and the fingerprint of the request. */
export function bulkReason(what: string, fingerprint: string): string {
  return `${what} [request ${fingerprint}]`;
}

/** The fingerprint a batch's reason carries (undefined for a reason without one). */
export function fingerprintOf(reason: string | undefined): string | undefined {
  return reason ? FINGERPRINT.exec(reason)?.[1] : undefined;
}
