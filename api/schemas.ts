import { z } from 'zod';
import { Problem } from '../domain/problems';
import { RefundStatusReason } from '../domain/schemas/bwp';
import { BwpId, RefundRequestedEvent } from '../domain/schemas/bwp';
import {
  DeclineInput as DomainDeclineInput,
  RepairInput as DomainRepairInput,
  RepairLine,
  ResolveInput as DomainResolveInput,
} from '../domain/schemas/repair';
import { ROLES } from '../common/operator-keys';
import {
  AcceptSuggestionInput as MessageAcceptSuggestionInput,
  ATTENTION_REASONS,
  OPERATOR_ACTIONS,
  RecheckInput as MessageRecheckInput,
  RefundStatus,
  ResubmitVerifiedInput as MessageResubmitVerifiedInput,
} from '../workflows/refund.contract';

/**
 * What the API reads and answers, as zod schemas: routes parse with them and /openapi.json is generated from them.
 * The operator inputs are the domain's (shared with the workflow), made strict here: an unknown key is a 400 naming it
 * (a typo in `total` must not silently skip the check it asks for), and strings are length-capped.
 */

/** A decimal amount as the operator types it; capped, so no one sends a megabyte of digits. */
const ApiDecimal = z
  .string()
  .max(24, 'must be at most 24 characters')
  .regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "10.00"');

export const RepairInput = DomainRepairInput.extend({
  lines: z
    .array(
      RepairLine.extend({
        lineItemId: RepairLine.shape.lineItemId.max(200, 'must be at most 200 characters'),
        reason: z.string().max(200, 'must be at most 200 characters').optional(),
        amount: ApiDecimal,
      }).strict(),
    )
    .max(500, 'must have at most 500 lines'),
  total: ApiDecimal.optional(),
}).strict();
export type RepairInput = z.output<typeof RepairInput>;

export const DeclineInput = DomainDeclineInput.strict();
export const ResolveInput = DomainResolveInput.strict();
/** The protocol's own inputs (workflows/refund.messages.ts), strict likewise. */
export const AcceptSuggestionInput = MessageAcceptSuggestionInput.strict();
export const RecheckInput = MessageRecheckInput.strict();
export const ResubmitVerifiedInput = MessageResubmitVerifiedInput.strict();

// ---- path, headers ----

export const RefundIdParams = z.object({
  id: z.string().min(1).max(1000, 'must be at most 1000 characters').meta({
    description:
      'The refund workflow id, `refund:<orderId>:<refundId>` with `:` and `%` in each id percent-encoded (as listed by GET /refunds).',
    example: 'refund:order-id:example-refund-id',
  }),
});

export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const MutationHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .trim()
    .min(1, 'must not be blank')
    .max(200, 'must be at most 200 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe(
      'Makes a retried call apply once: the same key with the same request (operator, route, refund, body) answers the first result; with another request it is a 409 and nothing is done. Recorded as the request id in the audit trail; generated when absent.',
    ),
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

/** POST /refunds: a refund whose event was lost upstream, started by hand. */
export const StartRefundInput = z
  .object({
    orderId: BwpId.describe('The Buy with Prime order id.'),
    refundId: BwpId.describe('The Buy with Prime refund id (refunds.details[].id of the order).'),
  })
  .strict();

// ---- answers ----

export const WebhookAccepted = z.object({
  event: z.object({
    type: z.string().describe('eventDescriptor, or the envelope’s detail-type.'),
    eventId: z.string(),
    form: z
      .enum(['webhook', 'eventbridge', 'eventbridge-thin'])
      .describe('webhook body; EventBridge envelope with the body as detail; the thin 2023 envelope (detail {}).'),
  }),
  outcome: z
    .enum(['accepted', 'ignored'])
    .describe('ignored: not a refund event, or no resource of this business product; nothing was started.'),
  reason: z.string().optional(),
  refunds: z.array(
    z.object({
      workflowId: z.string(),
      orderId: z.string(),
      refundId: z.string(),
      outcome: z
        .enum(['started', 'joined', 'finished', 'rechecked', 'notRunning', 'elsewhere'])
        .describe(
          'started: a new workflow; joined: delivered to the running one (a re-check); finished: it already ended; rechecked: a later event made the running refund re-check; notRunning: no running refund to re-check; elsewhere: the id is held by a workflow of another deployment (type or task queue), which was sent nothing.',
        ),
    }),
  ),
  ignored: z
    .array(z.object({ resource: z.string(), reason: z.string() }))
    .describe('Resources left alone, e.g. of another business product than BWP_TARGET_ID.'),
});

export const StartRefundAccepted = z.object({
  workflowId: z.string(),
  orderId: z.string(),
  refundId: z.string(),
  outcome: z
    .enum(['started', 'joined', 'finished'])
    .describe('started: new (201); joined: already running, re-checks now; finished: its workflow already ended.'),
});

export const Me = z.object({
  name: z.string().describe('Recorded as the operator of every action you take.'),
  role: z.enum(ROLES),
  via: z.enum(['key', 'oidc']),
});

/** What /webhooks/bwp reads, for the OpenAPI document (the route parses by form and type; see api/webhooks.ts). */
export const WebhookBody = z.union([
  RefundRequestedEvent,
  z.looseObject({ eventDescriptor: z.string(), eventId: z.string(), resources: z.array(z.string()).optional() }),
  z.looseObject({
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    resources: z.array(z.string()).optional(),
    detail: z.looseObject({}),
  }),
]);

/** Plans and state are owned by the workflow; documented loosely here so that the spec never contradicts it. */
export const Plan = z
  .looseObject({
    revision: z.number().int().optional(),
    mode: z.enum(['line-items', 'appeasement']).optional(),
    report: z
      .looseObject({
        currency: z.string(),
        total: z.string().describe('Decimal string in the plan currency, e.g. "10.00", "1000" (JPY), "1.500" (KWD).'),
        shipping: z.boolean(),
        lines: z.array(
          z.looseObject({
            lineItemId: z.string(),
            quantity: z.number().int(),
            amount: z.string().describe('Decimal string in the plan currency.'),
            reason: z.string().optional(),
          }),
        ),
      })
      .optional(),
  })
  .describe('The plan for POST /refund (domain/plan.ts), its amounts as decimal strings.');

export const RepairAcceptedBody = z.object({ plan: Plan, revision: z.number().int() });

export const Attention = z.object({
  reason: z.enum(ATTENTION_REASONS),
  since: z.string(),
  detail: z.string().optional(),
});

const Money = z.object({ amount: z.string().describe('Decimal string, e.g. "10.00".'), currency: z.string() });

export const RefundDetail = z
  .looseObject({
    workflowId: z.string(),
    runId: z.string().describe('The current run (a refund continued as new has several).'),
    execution: z.object({
      status: z.string().describe('Temporal execution status: RUNNING, COMPLETED, …'),
      startTime: z.string(),
      closeTime: z.string().optional(),
    }),
    orderId: z.string(),
    refundId: z.string(),
    storeOrderId: z.string().optional(),
    status: z.enum(RefundStatus),
    bwpState: z.string().optional().describe('The refund state Buy with Prime last showed.'),
    startedAt: z.string(),
    parkedSince: z.string().optional(),
    settlingSince: z.string().optional(),
    revision: z.number().int(),
    idempotencyKey: z.string().describe("The current plan revision's key."),
    keys: z.array(z.string()).describe('Keys sent (the latest attempts’) and the one of the submission under way.'),
    requested: Money.optional().describe("Amazon's estimate of the refund."),
    planned: z
      .looseObject({ amount: z.string(), currency: z.string(), mode: z.string(), lines: z.number().int() })
      .optional(),
    refunded: Money.optional().describe('What the store refunded.'),
    moneyMoved: z.boolean(),
    problems: z.array(Problem).describe('What keeps the refund from going out (the first 20).'),
    advisories: z.array(Problem).optional(),
    attentions: z.array(Attention).describe('Why a person should look (empty when nothing needs attention).'),
    needsAttention: z.boolean(),
    inDoubt: z
      .looseObject({ idempotencyKey: z.string(), reason: z.string(), since: z.string() })
      .optional()
      .describe('A key whose outcome is in doubt: only resubmit-verified opens a new key.'),
    inbox: z
      .looseObject({})
      .optional()
      .describe('What is recorded and not yet applied (repair, resubmit, decision, temporalCancel).'),
    applying: z.looseObject({ kind: z.string(), operator: z.string() }).optional(),
    hasSuggestion: z.boolean(),
    attemptCount: z.number().int(),
    orderReads: z.number().int().describe('How many times the refund read its order.'),
    plan: Plan.optional(),
    suggestion: z.object({ repair: RepairInput, explanation: z.array(z.string()) }).optional(),
    submission: z.looseObject({}).optional().describe('The submission under way.'),
    attempts: z
      .array(z.looseObject({ revision: z.number(), idempotencyKey: z.string(), outcome: z.string() }))
      .describe('The latest 10 POST /refund attempts.'),
    audit: z
      .array(
        z.looseObject({
          at: z.string(),
          operator: z.string(),
          action: z.enum([...OPERATOR_ACTIONS, 'refundEvent', 'temporalCancel', 'start']),
          accepted: z.boolean(),
        }),
      )
      .describe('The latest 20 audit entries (all of them: the `state` query in the Temporal UI, or the history).'),
    result: z.looseObject({ status: z.enum(RefundStatus) }).optional(),
  })
  .describe('The refund as its memo shows it (no worker is asked), with the execution it belongs to.');

export const DecisionAccepted = z.object({
  workflowId: z.string(),
  accepted: z.literal(true),
  finished: z
    .boolean()
    .describe('false: accepted, still being carried out (e.g. reporting to Buy with Prime); poll GET /refunds/:id.'),
  next: z.string().optional().describe('What the workflow does with it next, in words.'),
  view: z
    .looseObject({ status: z.enum(RefundStatus) })
    .optional()
    .describe('The refund as the update left it (its memo view), when not finished.'),
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
  advisories: z
    .array(Problem)
    .optional()
    .describe('Findings that stop nothing (the reason rules unless REASON_RULES_BLOCK).'),
  workflowId: z.string(),
  status: z.enum(RefundStatus),
  waitingForRepair: z.boolean(),
  orderId: z.string(),
  refundId: z.string(),
  storeOrderId: z.string().optional(),
  currency: z.string(),
  exponent: z
    .number()
    .int()
    .describe('Decimal places of the currency (USD 2, JPY 0, KWD 3): what a client needs to add amounts up.'),
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
  advisories: z
    .array(Problem)
    .optional()
    .describe('Findings that stop nothing: the reason rules unless REASON_RULES_BLOCK (docs/domain.md rule 10).'),
  plan: Plan.optional(),
});

export type RepairFormBody = z.infer<typeof RepairForm>;
export type RepairCheckBody = z.infer<typeof RepairCheck>;

export { Problem };
