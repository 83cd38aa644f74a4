import { z } from 'zod';
import { Problem } from '../domain/problems';
import { RefundStatusReason } from '../domain/schemas/bwp';
import { DeclineInput, RepairInput, ResolveInput } from '../domain/schemas/repair';
import {
  AcceptSuggestionInput,
  OPERATOR_ACTIONS,
  RecheckInput,
  RefundStatus,
  ResubmitVerifiedInput,
} from '../workflows/refund.contract';

/**
 * What the API reads and answers, as zod schemas: routes parse with them and /openapi.json is generated from them.
 * The operator inputs themselves (RepairInput, DeclineInput, ResolveInput) are the domain's, shared with the workflow.
 */

export { DeclineInput, RepairInput, ResolveInput, AcceptSuggestionInput, RecheckInput, ResubmitVerifiedInput };

// ---- path, headers ----

export const RefundIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(512, 'must be at most 512 characters')
    .describe('The refund workflow id, `refund:<orderId>:<refundId>` (as listed by GET /refunds).'),
});

export const OPERATOR_HEADER = 'x-operator';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const MutationHeaders = z.object({
  [OPERATOR_HEADER]: z
    .string({ message: 'is required: the name of the operator, recorded in the audit trail' })
    .trim()
    .min(1, 'must not be blank: the name of the operator, recorded in the audit trail')
    .max(200, 'must be at most 200 characters'),
  [IDEMPOTENCY_HEADER]: z
    .string()
    .trim()
    .min(1, 'must not be blank')
    .max(200, 'must be at most 200 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Makes a retried call apply once (used as the Temporal update id). Generated when absent.'),
});

// ---- bodies ----

export const AcceptSuggestion = z
  .object({
    acceptSuggestion: z.literal(true, { message: 'must be true' }),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** POST /refunds/:id/repair: the per-SKU repair, or the workflow's own suggestion accepted as it is. */
export const RepairBody = z.union([RepairInput, AcceptSuggestion]);

export const CancelInput = z
  .object({ note: z.string().max(2000, 'must be at most 2000 characters').optional() })
  .strict();

// ---- answers ----

export const WebhookAccepted = z.object({
  refunds: z.array(
    z.object({
      workflowId: z.string(),
      orderId: z.string(),
      refundId: z.string(),
      outcome: z
        .enum(['started', 'joined', 'finished'])
        .describe(
          'started: a new workflow; joined: delivered to the running one (a re-check); finished: it already ended.',
        ),
    }),
  ),
});

/** Plans and state are owned by the workflow; documented loosely here so that the spec never contradicts it. */
export const Plan = z
  .looseObject({ revision: z.number().int().optional() })
  .describe('The plan for POST /refund (domain/plan.ts).');

export const RepairAcceptedBody = z.object({ plan: Plan, revision: z.number().int() });

export const Attention = z.object({
  reason: z.enum([
    'IDEMPOTENCY_ALARM',
    'UNKNOWN_OUTCOME',
    'REPORT_REJECTED',
    'MALFORMED_REQUEST',
    'PARKED_TOO_LONG',
    'SUBMITTING_TOO_LONG',
    'SETTLEMENT_TOO_LONG',
    'REFUND_GONE_FROM_BWP',
  ]),
  since: z.string(),
  detail: z.string().optional(),
});

export const RefundDetail = z
  .looseObject({
    workflowId: z.string(),
    execution: z.object({
      status: z.string().describe('Temporal execution status: RUNNING, COMPLETED, …'),
      startTime: z.string().optional(),
      closeTime: z.string().optional(),
    }),
    orderId: z.string(),
    refundId: z.string(),
    status: z.enum(RefundStatus),
    problems: z.array(Problem),
    plan: Plan.optional(),
    revision: z.number().int(),
    suggestion: z.object({ repair: RepairInput, explanation: z.array(z.string()) }).optional(),
    attempts: z.array(z.looseObject({ revision: z.number(), idempotencyKey: z.string(), outcome: z.string() })),
    audit: z.array(
      z.looseObject({
        at: z.string(),
        operator: z.string(),
        action: z.enum([...OPERATOR_ACTIONS, 'refundEvent', 'temporalCancel']),
        accepted: z.boolean(),
      }),
    ),
    needsAttention: z.boolean(),
    attention: Attention.optional().describe('The most pressing reason a person should look.'),
    attentions: z.array(Attention).optional().describe('Every active attention reason.'),
  })
  .describe('The workflow state (its `state` query) with the execution it belongs to.');

export const DecisionAccepted = z.object({
  workflowId: z.string(),
  accepted: z.literal(true),
  finished: z
    .boolean()
    .describe('false: accepted, still being carried out (e.g. reporting to Buy with Prime); poll GET /refunds/:id.'),
  next: z.string().optional().describe('What the workflow does with it next, in words.'),
  state: RefundDetail.optional(),
});

export const RepairLineView = z.object({
  lineItemId: z.string(),
  sku: z.string().optional(),
  title: z.string().optional(),
  storeLineId: z.string().optional(),
  ordered: z.number().int().nullable(),
  refunded: z.number().int(),
  remaining: z.number().int().nullable(),
  unitPrice: z.string().nullable().describe('Decimal string in the order currency.'),
  paid: z.string().nullable(),
  refundedAmount: z.string(),
  remainingAmount: z.string().nullable(),
  nextUnitValue: z
    .string()
    .nullable()
    .describe('What refunding one more unit is worth (price less discount, plus tax).'),
  requested: z
    .object({ quantity: z.number().int().nullable(), amount: z.string().nullable() })
    .optional()
    .describe('What Buy with Prime asked for on this line, when the refund names it.'),
});

/** GET /refunds/:id/repair: everything the repair dialog shows. */
export const RepairForm = z.object({
  workflowId: z.string(),
  status: z.enum(RefundStatus),
  waitingForRepair: z.boolean(),
  orderId: z.string(),
  refundId: z.string(),
  storeOrderId: z.string().optional(),
  currency: z.string(),
  requested: z.object({
    total: z.string().nullable().describe("Amazon's estimate of the refund (refundTotal), decimal string."),
    reason: z.string().nullable(),
    state: z.string().nullable(),
  }),
  lines: z.array(RepairLineView),
  shipping: z.object({ amount: z.string(), refunded: z.boolean(), remaining: z.string() }),
  order: z.object({ total: z.string(), refunded: z.string(), remaining: z.string() }),
  merchantReasons: z.array(z.string()),
  defaultReason: z.string().optional(),
  statusReasons: z.array(RefundStatusReason),
  allowAppeasement: z.boolean(),
  problems: z.array(Problem).describe('What keeps the refund from going out, as the workflow last saw it.'),
  suggestion: z.object({ repair: RepairInput, explanation: z.array(z.string()) }).optional(),
  attentions: z.array(Attention).describe('Why a person should look (empty when nothing needs attention).'),
  inDoubt: z
    .object({ idempotencyKey: z.string(), reason: z.string(), since: z.string(), detail: z.string() })
    .optional()
    .describe('A key whose outcome is in doubt: only resubmit-verified opens a new key.'),
});

export const RepairCheck = z.object({
  ok: z.boolean(),
  problems: z.array(Problem),
  plan: Plan.optional(),
});

export type RepairFormBody = z.infer<typeof RepairForm>;
export type RepairCheckBody = z.infer<typeof RepairCheck>;

export { Problem };
