import {
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { type Alias, type BwpOrder, type BwpErrorType } from '../../domain/schemas/bwp';
import { bwpSchema } from './schema';
import { BwpRequestError, type BwpSimulator, type OrderIdentifier, type UpdateOrderArgs } from './simulator';

/**
 * graphql-js over the BwP simulator, serving exactly sandbox/bwp/schema.graphql (the transcription of the 2024-11-01
 * reference, https://documents.buywithprime.amazon.com/bwp-api/docs/): a document that uses anything else (the
 * pre-2024 `order(orderId:)` argument, a field the reference does not publish) gets graphql-js's own validation error.
 */

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface GraphqlAnswer {
  /** 200 when the document executed (with or without field errors); 400 when it never executed. */
  status: 200 | 400;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
}

/**
 * Where Buy with Prime puts an error's type and code in a GraphQL answer is not published: the troubleshooting tables
 * give each error an "Error Type" and an "Error Code"
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/troubleshoot-refund-errors,
 * https://documents.buywithprime.amazon.com/bwp-api/docs/troubleshoot-order-errors). The sandbox's choice, shared with
 * the gateway's answers: `{ message, path?, extensions: { errorType, errorCode? } }`.
 */
export interface BwpErrorExtensions {
  errorType: BwpErrorType;
  errorCode?: string;
}

export function bwpError(errorType: BwpErrorType, message: string, errorCode?: string): GraphQLFormattedError {
  return { message, extensions: errorCode ? { errorType, errorCode } : { errorType } };
}

type IdentifierArg = { orderId?: string | null; alias?: Alias | null } | null | undefined;

/** OrderIdentifierInput: exactly one of orderId and alias (the schema leaves both optional). */
function identifier(arg: IdentifierArg): OrderIdentifier {
  const byId = arg?.orderId != null;
  const byAlias = arg?.alias != null;
  if (byId === byAlias) {
    throw new BwpRequestError('ValidationError', 'orderIdentifier must give exactly one of orderId and alias');
  }
  return byId ? { orderId: arg.orderId! } : { alias: arg!.alias! };
}

/**
 * The order as the `order` query returns it. RefundDetails.refundFor.orderLineItems[].lineItem is a `LineItem` in the
 * schema: it resolves to the order's own line (the stored refund keeps only its id).
 */
function orderView(order: BwpOrder): BwpOrder {
  const lines = new Map(order.lineItems.map((l) => [l.id, l]));
  for (const refund of order.refunds.details) {
    for (const entry of refund.refundFor?.orderLineItems ?? []) {
      const line = lines.get(entry.lineItem.id);
      if (line) entry.lineItem = structuredClone(line);
    }
  }
  return order;
}

function rootValue(sim: BwpSimulator) {
  return {
    order(args: { orderIdentifier: IdentifierArg }): BwpOrder | null {
      const order = sim.findOrder(identifier(args.orderIdentifier));
      return order ? orderView(order) : null;
    },
    updateOrder(args: { orderIdentifier: IdentifierArg; input: Omit<UpdateOrderArgs, 'orderIdentifier'> }): {
      order: BwpOrder;
    } {
      const order = sim.updateOrder({ ...args.input, orderIdentifier: identifier(args.orderIdentifier) });
      return { order: orderView(order) };
    },
  };
}

function formatFieldError(error: GraphQLError): GraphQLFormattedError {
  const original = error.originalError;
  const where = error.path ? { path: error.path } : {};
  if (original instanceof BwpRequestError) {
    return { ...bwpError(original.errorType, original.message, original.errorCode), ...where };
  }
  if (original && !(original instanceof GraphQLError)) {
    // A bug in the simulator: say so the way BwP says an internal failure, without leaking a stack.
    return { ...bwpError('InternalServerError', 'Unexpected error during request processing.'), ...where };
  }
  return { message: error.message, ...where, extensions: { errorType: 'ValidationError' } };
}

/** A request error is graphql-js's own (message and locations), with the errorType every BwP error carries. */
function formatRequestError(error: GraphQLError): GraphQLFormattedError {
  return { ...error.toJSON(), extensions: { ...error.extensions, errorType: 'ValidationError' } };
}

/**
 * Documents that parsed and validated, by their text: a client sends the same few documents again and again, and
 * validation is most of a request's work (GraphQL servers keep such a store, e.g. Apollo Server's document cache).
 * Bounded: the oldest is forgotten first.
 */
const validatedDocuments = new Map<string, DocumentNode>();
const VALIDATED_DOCUMENTS_MAX = 200;

/** The document of a query text, or graphql-js's own errors when it does not parse or validate against the schema. */
function validatedDocument(query: string): DocumentNode | readonly GraphQLError[] {
  const known = validatedDocuments.get(query);
  if (known) return known;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    if (err instanceof GraphQLError) return [err];
    throw err;
  }
  const errors = validate(bwpSchema(), document);
  if (errors.length > 0) return errors;
  if (validatedDocuments.size >= VALIDATED_DOCUMENTS_MAX) {
    validatedDocuments.delete(validatedDocuments.keys().next().value!);
  }
  validatedDocuments.set(query, document);
  return document;
}

/**
 * Runs one GraphQL request against the simulator, as graphql-js's `graphql()` does (parse, validate, execute), with
 * validated documents kept. A document that does not parse or validate against the schema, or whose variables do not
 * coerce, never executes: HTTP 400 and no `data` key, as GraphQL-over-HTTP has it. Field errors (a rejected
 * updateOrder) answer 200 with the field null beside the error.
 */
export async function executeBwpGraphql(sim: BwpSimulator, request: GraphqlRequest): Promise<GraphqlAnswer> {
  const document = validatedDocument(request.query);
  if (!('kind' in document)) return { status: 400, body: { errors: document.map(formatRequestError) } };
  const result: ExecutionResult = await execute({
    schema: bwpSchema(),
    document,
    rootValue: rootValue(sim),
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
  });
  if (!('data' in result)) return { status: 400, body: { errors: (result.errors ?? []).map(formatRequestError) } };
  const errors = result.errors?.map(formatFieldError);
  return { status: 200, body: errors ? { errors, data: result.data ?? null } : { data: result.data ?? null } };
}
