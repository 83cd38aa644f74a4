/**
 * The refund workflow's message surface as zod schemas: what every signal and update must carry. Pure and
 * deterministic, so the workflow parses each message at its door (a malformed one is audited and changes nothing), the
 * update validators reject with the same problems, and the API parses its requests with the very same shapes.
 */
import { z } from 'zod';
import type { Problem } from '../domain/problems';
import { DeclineInput, RepairInput, ResolveInput } from '../domain/schemas/repair';

const Note = z.string().max(2000, 'must be at most 2000 characters');

/** Who sends a message: recorded in the audit trail, so it is required. */
export const OperatorName = z
  .string({ message: 'is required: the name of the operator, recorded in the audit trail' })
  .trim()
  .min(1, 'must not be blank')
  .max(200, 'must be at most 200 characters');

/** A client-chosen id, so that a retried call is applied once. */
export const RequestId = z.string().trim().min(1, 'must not be blank').max(200, 'must be at most 200 characters');

/** The one envelope of every operator message: `{ operator, requestId?, input }` (bulk actions send this shape too). */
export function operatorMessage<T extends z.ZodType>(input: T) {
  return z.object({
    operator: OperatorName,
    requestId: RequestId.optional(),
    input,
  });
}

export const CancelInput = z.object({ note: Note.optional() });
export type CancelInput = z.infer<typeof CancelInput>;
export const AcceptSuggestionInput = z.object({ note: Note.optional() });
export type AcceptSuggestionInput = z.infer<typeof AcceptSuggestionInput>;
export const RecheckInput = z.object({ note: Note.optional() });
export type RecheckInput = z.infer<typeof RecheckInput>;
/**
 * The operator's explicit statement, after an unknown outcome or a 409, that they checked the store and no money moved
 * under the key in doubt: only this opens a new plan revision (and idempotency key).
 */
export const ResubmitVerifiedInput = z.object({
  verifiedNoMoneyMoved: z.literal(true, {
    message: 'must be true: you state that you checked on the store that no money moved under the key in doubt',
  }),
  note: z.string().trim().min(1, 'must say how you verified it').max(2000, 'must be at most 2000 characters'),
});
export type ResubmitVerifiedInput = z.infer<typeof ResubmitVerifiedInput>;

export const RepairMessage = operatorMessage(RepairInput);
export const DeclineMessage = operatorMessage(DeclineInput);
export const ResolveMessage = operatorMessage(ResolveInput);
export const CancelMessage = operatorMessage(CancelInput);
export const AcceptSuggestionMessage = operatorMessage(AcceptSuggestionInput);
export const RecheckMessage = operatorMessage(RecheckInput);
export const ResubmitVerifiedMessage = operatorMessage(ResubmitVerifiedInput);
export type RepairMessage = z.infer<typeof RepairMessage>;
export type DeclineMessage = z.infer<typeof DeclineMessage>;
export type ResolveMessage = z.infer<typeof ResolveMessage>;
export type CancelMessage = z.infer<typeof CancelMessage>;
export type AcceptSuggestionMessage = z.infer<typeof AcceptSuggestionMessage>;
export type RecheckMessage = z.infer<typeof RecheckMessage>;
export type ResubmitVerifiedMessage = z.infer<typeof ResubmitVerifiedMessage>;

/** Who started a refund by hand (the workflow input's `startedBy`), parsed before it goes into the audit trail. */
export const StartedBy = z.object({ operator: OperatorName, requestId: RequestId.optional() });

/** A later BwP event for the same refund (sent by the webhook): re-check now. */
export const RefundEventMessage = z.object({
  eventId: z.string().min(1).max(500),
  descriptor: z.string().min(1).max(200),
});
export type RefundEventMessage = z.infer<typeof RefundEventMessage>;

/** Every operator action, by the name of its signal. */
export const OPERATOR_ACTIONS = [
  'repair',
  'acceptSuggestion',
  'decline',
  'resolve',
  'cancel',
  'recheck',
  'resubmitVerified',
] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export const MESSAGE_SCHEMAS = {
  repair: RepairMessage,
  acceptSuggestion: AcceptSuggestionMessage,
  decline: DeclineMessage,
  resolve: ResolveMessage,
  cancel: CancelMessage,
  recheck: RecheckMessage,
  resubmitVerified: ResubmitVerifiedMessage,
} as const satisfies Record<OperatorAction, z.ZodType>;

export type MessageOf<A extends OperatorAction> = z.infer<(typeof MESSAGE_SCHEMAS)[A]>;

/** Parse result of a message: the typed message, or the problems an operator can act on (which field, why). */
export type Parsed<T> = { ok: true; msg: T } | { ok: false; problems: Problem[] };

/** Parses any value (null, a string, an array, a partial object…) into a message of `action`, never throwing. */
export function parseMessage<A extends OperatorAction>(action: A, raw: unknown): Parsed<MessageOf<A>> {
  const parsed = (MESSAGE_SCHEMAS[action] as unknown as z.ZodType<MessageOf<A>>).safeParse(raw);
  if (parsed.success) return { ok: true, msg: parsed.data };
  return { ok: false, problems: zodProblems(parsed.error, `the ${action} message`) };
}

/** zod issues as problems: one per field, naming its path. */
export function zodProblems(error: z.ZodError, what: string): Problem[] {
  return error.issues.slice(0, 10).map((issue) => {
    const field = issue.path.map(String).join('.');
    // A message that is not an object at all (null, a string, an array) is about the message itself.
    return {
      code: 'INVALID_INPUT' as const,
      message: field ? `${what}: ${field} ${issue.message}` : `${what}: ${issue.message}`,
      field: field || 'message',
    };
  });
}

/** The operator name of a raw message, for the audit entry of a malformed one ('unknown' when absent). */
export function operatorOf(raw: unknown): string {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const parsed = OperatorName.safeParse((raw as { operator?: unknown }).operator);
    if (parsed.success) return parsed.data;
  }
  return 'unknown';
}

/** The request id of a raw message, if it has a readable one. */
export function requestIdOf(raw: unknown): string | undefined {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const parsed = RequestId.safeParse((raw as { requestId?: unknown }).requestId);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}
