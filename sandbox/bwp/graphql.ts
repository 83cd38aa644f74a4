import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  graphql,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { type Alias, type BwpOrder } from '../../domain/schemas/bwp';
import { BwpRequestError, type BwpSimulator, type UpdateOrderArgs } from './simulator';

/** The contract shared with the production client: sandbox/bwp/schema.graphql. */
export const BWP_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

let schema: GraphQLSchema | undefined;

export function bwpSchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(BWP_SCHEMA_PATH, 'utf8'));
  return schema;
}

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface GraphqlAnswer {
  /** 200 for anything that executed (with or without errors); 400 when the request itself is not valid GraphQL. */
  status: 200 | 400;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
}

function rootValue(sim: BwpSimulator) {
  return {
    order(args: { orderId?: string | null; orderIdentifier?: { alias: Alias } | null }): BwpOrder | null {
      const byId = args.orderId != null;
      const byAlias = args.orderIdentifier != null;
      if (byId === byAlias) {
        throw new GraphQLError('Give exactly one of orderId or orderIdentifier', {
          extensions: { code: 'ValidationError' },
        });
      }
      return (byId ? sim.order(args.orderId!) : sim.orderByAlias(args.orderIdentifier!.alias)) ?? null;
    },
    updateOrder(args: { input: UpdateOrderArgs }): { order: BwpOrder } {
      return { order: sim.updateOrder(args.input) };
    },
  };
}

function formatError(error: GraphQLError): GraphQLFormattedError {
  const original = error.originalError;
  if (original instanceof BwpRequestError) {
    const extensions = original.reason ? { code: original.code, reason: original.reason } : { code: original.code };
    return { message: original.message, locations: error.locations, path: error.path, extensions };
  }
  if (original && !(original instanceof GraphQLError)) {
    // A bug in the simulator: say so the way BwP says an internal failure, without leaking a stack.
    return { message: 'Internal server error', path: error.path, extensions: { code: 'InternalServerError' } };
  }
  const formatted = error.toJSON();
  return { ...formatted, extensions: { code: 'ValidationError', ...formatted.extensions } };
}

/**
 * Runs one GraphQL request against the simulator with graphql-js. A request error (syntax, unknown field, bad variable)
 * never executes and answers 400 with code ValidationError, as GraphQL-over-HTTP servers do.
 */
export async function executeBwpGraphql(sim: BwpSimulator, request: GraphqlRequest): Promise<GraphqlAnswer> {
  const result: ExecutionResult = await graphql({
    schema: bwpSchema(),
    source: request.query,
    rootValue: rootValue(sim),
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
  });
  const errors = result.errors?.map(formatError);
  if (!('data' in result)) return { status: 400, body: { errors } };

  let data = result.data ?? null;
  if (data === null && errors) {
    // updateOrder is non-null in the schema, so graphql-js nulls the whole `data` when it fails. BwP's contract (and
    // our client) read `data.updateOrder === null` next to the error, so keep one null per root field instead.
    const operation = getOperationAST(parse(request.query), request.operationName ?? undefined);
    const keys = (operation?.selectionSet.selections ?? []).flatMap((s) =>
      s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : [],
    );
    data = Object.fromEntries(keys.map((k) => [k, null]));
  }
  return { status: 200, body: errors ? { errors, data } : { data } };
}
