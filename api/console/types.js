// @ts-check
// The shapes the repair page reads from the API (api/schemas.ts is their source of truth). Types only: nothing runs.

/**
 * @typedef {object} Problem
 * @property {string} code A stable problem code (docs/domain.md).
 * @property {string} message
 * @property {string} field What the problem is about: "lines[2].amount", "total", "shipping", "refundTotal", …
 * @property {string} [lineItemId]
 */

/**
 * @typedef {object} ProblemBody An application/problem+json answer.
 * @property {string} [type]
 * @property {string} [detail]
 * @property {Problem[]} [problems]
 * @property {{ field: string, message: string }[]} [errors] Each invalid field of the request, and why.
 */

/** @typedef {'viewer' | 'operator' | 'admin'} Role */

/**
 * @typedef {object} Me Who is signed in (GET /me).
 * @property {string} name The name the audit trail records.
 * @property {Role} role
 */

/**
 * @typedef {object} Attention Why a person should look (docs/protocol.md "No wait without a flag").
 * @property {string} reason
 * @property {string} since
 * @property {string} [detail]
 */

/**
 * @typedef {object} InDoubt A key whose outcome is in doubt: only resubmit-verified opens a new key.
 * @property {string} idempotencyKey
 * @property {string} reason
 * @property {string} since
 * @property {string} detail
 */

/**
 * @typedef {object} RepairLine
 * @property {string} lineItemId
 * @property {boolean} ticked
 * @property {number} quantity
 * @property {string} reason
 * @property {string} amount
 */

/**
 * @typedef {object} Repair
 * @property {RepairLine[]} lines
 * @property {boolean} [shipping]
 * @property {string} [mode]
 * @property {string} [total]
 * @property {string} [note]
 */

/**
 * @typedef {object} FormLine
 * @property {string} lineItemId
 * @property {string} [sku]
 * @property {string} [title]
 * @property {number | null} ordered
 * @property {number} refunded
 * @property {number | null} remaining
 * @property {string | null} paid
 * @property {string} refundedAmount
 * @property {string | null} remainingAmount
 * @property {{ quantity: number | null, amount: string | null }} [requested]
 */

/**
 * @typedef {object} RepairForm
 * @property {string} workflowId
 * @property {string} status
 * @property {boolean} waitingForRepair
 * @property {string} orderId
 * @property {string} refundId
 * @property {string} [storeOrderId]
 * @property {string} currency
 * @property {number} exponent Decimal places of the currency (USD 2, JPY 0, KWD 3).
 * @property {{ total: string | null, reason: string | null, state: string | null }} requested
 * @property {FormLine[]} lines
 * @property {{ amount: string, refunded: boolean, remaining: string }} shipping
 * @property {{ total: string, refunded: string, remaining: string }} order
 * @property {string[]} merchantReasons
 * @property {string} [defaultReason]
 * @property {string[]} statusReasons
 * @property {Problem[]} problems
 * @property {Problem[]} [advisories]
 * @property {{ repair: Repair, explanation: string[] }} [suggestion]
 * @property {Attention[]} attentions
 * @property {InDoubt} [inDoubt]
 */

/**
 * @typedef {object} PlanLine
 * @property {string} lineItemId
 * @property {string} [sku]
 * @property {number} quantity
 * @property {string} reason
 * @property {string} amount A decimal string in the plan's currency.
 */

/**
 * @typedef {object} Plan
 * @property {number} revision
 * @property {'line-items' | 'appeasement'} mode
 * @property {{ currency: string, total: string, shipping: boolean, lines: PlanLine[] }} report
 */

/**
 * @typedef {object} Money
 * @property {string} amount
 * @property {string} currency
 */

/**
 * @typedef {object} RefundDetail
 * @property {string} orderId
 * @property {string} refundId
 * @property {string} status
 * @property {Plan} [plan]
 * @property {Money} [refunded]
 * @property {{ statusReason?: string }} [result]
 * @property {{ at: string, operator: string, action: string, accepted: boolean }[]} [audit]
 * @property {Attention[]} [attentions]
 */

/**
 * @typedef {object} Recorded What an action recorded at once answers (recheck, resubmit-verified: 202).
 * @property {string} workflowId
 * @property {boolean} accepted
 * @property {string} [next] What the workflow does with it next, in words.
 */

/**
 * @typedef {object} Started POST /refunds.
 * @property {string} workflowId
 * @property {'started' | 'joined' | 'finished'} outcome
 */

/**
 * @typedef {object} RefundRow
 * @property {string} workflowId
 * @property {string} orderId
 * @property {string} refundId
 * @property {string} [startTime]
 * @property {string[]} problemCodes
 * @property {boolean} needsAttention
 * @property {{ requested?: Money, problems: Problem[], parkedSince?: string }} [summary]
 */

/**
 * @typedef {object} RepairCheck
 * @property {boolean} ok
 * @property {Problem[]} problems
 * @property {Problem[]} [advisories]
 * @property {Plan} [plan]
 */

/**
 * @typedef {object} BulkProgress A bulk action's Temporal batch operation (GET /bulk/jobs/:jobId).
 * @property {string} jobId
 * @property {'RUNNING' | 'COMPLETED' | 'FAILED' | 'UNSPECIFIED'} state
 * @property {number} total
 * @property {number} completed
 * @property {number} failed
 */

/**
 * @typedef {object} BulkRefundOutcome What one refund did with a bulk action's message.
 * @property {string} workflowId
 * @property {string} orderId
 * @property {string} refundId
 * @property {'accepted' | 'refused' | 'notSignalled' | 'unreadable'} outcome
 * @property {string} [status]
 * @property {Problem[]} [problems]
 */

/**
 * @typedef {object} BulkAnswer POST /bulk/:action.
 * @property {string} action
 * @property {boolean} dryRun
 * @property {number} matched
 * @property {string} [jobId]
 * @property {boolean} [replayed]
 * @property {BulkProgress} [progress]
 * @property {BulkRefundOutcome[]} [refunds]
 */

export {};
