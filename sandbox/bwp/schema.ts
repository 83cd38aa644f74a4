import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLScalarType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type GraphQLOutputType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';

/**
 * sandbox/bwp/schema.graphql, the transcription of the Buy with Prime 2024-11-01 reference
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/), built once with graphql-js.
 */

export const BWP_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

/**
 * `Decimal` is the reference's own scalar (https://documents.buywithprime.amazon.com/bwp-api/docs/sandbox-objects-amount,
 * `value: Decimal!`). Its serialisation is not published; every example writes it as a JSON number (`"value": 1`,
 * `"amount": 10.0`), so the sandbox passes finite JSON numbers through and refuses anything else.
 */
function decimal(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new GraphQLError(`Decimal cannot represent a non-numeric value: ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function decimalLiteral(node: ValueNode): number {
  if (node.kind !== Kind.INT && node.kind !== Kind.FLOAT) {
    throw new GraphQLError('Decimal cannot represent a non-numeric value', { nodes: node });
  }
  return Number(node.value);
}

let schema: GraphQLSchema | undefined;

export function bwpSchema(): GraphQLSchema {
  if (!schema) {
    const built = buildSchema(readFileSync(BWP_SCHEMA_PATH, 'utf8'));
    const scalar = built.getType('Decimal');
    if (!(scalar instanceof GraphQLScalarType)) throw new Error('schema.graphql must declare scalar Decimal');
    Object.assign(scalar, { serialize: decimal, parseValue: decimal, parseLiteral: decimalLiteral });
    schema = built;
  }
  return schema;
}

/**
 * Fields whose stored value is a reference, not the object: a stored refund names its lines by id
 * (`refundFor.orderLineItems[].lineItem: { id }`, as the events print it), and the `order` query resolves each to the
 * order's own line. Such a value may hold only fields of the type, and its `id`.
 */
const REFERENCES = new Set(['RefundedOrderLineItem.lineItem']);

/**
 * What is wrong with a JSON value read as an output type of the schema (e.g. a seeded order read as `Order`): a key the
 * type does not have, a missing or null required (`!`) field, a list that is not an array, a scalar of the wrong kind.
 * The sandbox refuses to store anything the published schema could not return.
 */
export function schemaProblems(value: unknown, typeName: string): string[] {
  const type = bwpSchema().getType(typeName);
  if (!type || !isObjectType(type)) throw new Error(`${typeName} is not an object type of schema.graphql`);
  const problems: string[] = [];
  walk(value, type, typeName, problems, false);
  return problems;
}

function walk(value: unknown, type: GraphQLOutputType, at: string, problems: string[], reference: boolean): void {
  if (value === null || value === undefined) {
    if (isNonNullType(type)) problems.push(`${at} is required (${type.toString()})`);
    return;
  }
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) {
      problems.push(`${at} must be a list (${nullable.toString()})`);
      return;
    }
    value.forEach((item, index) => walk(item, nullable.ofType, `${at}[${index}]`, problems, reference));
    return;
  }
  const named = getNamedType(nullable);
  if (isObjectType(named)) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${at} must be an object (${named.name})`);
      return;
    }
    const fields = named.getFields();
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in fields)) problems.push(`${at}.${key} is not a field of ${named.name} in the published schema`);
    }
    if (reference) {
      if (typeof record.id !== 'string' || record.id === '') problems.push(`${at}.id is required (a reference)`);
      return;
    }
    for (const [name, field] of Object.entries(fields)) {
      const isReference = REFERENCES.has(`${named.name}.${name}`);
      walk(record[name], field.type, `${at}.${name}`, problems, isReference);
    }
    return;
  }
  if (isEnumType(named)) {
    if (typeof value !== 'string' || !named.getValue(value)) problems.push(`${at} must be one of ${named.name}`);
    return;
  }
  if (isScalarType(named)) {
    const ok =
      named.name === 'Decimal' || named.name === 'Float' || named.name === 'Int'
        ? typeof value === 'number' && Number.isFinite(value)
        : named.name === 'Boolean'
          ? typeof value === 'boolean'
          : typeof value === 'string';
    if (!ok) problems.push(`${at} must be a ${named.name}`);
  }
}
