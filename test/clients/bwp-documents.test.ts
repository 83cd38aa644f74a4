import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildSchema, getOperationAST, getVariableValues, Kind, parse, print, validate } from 'graphql';
import { ORDER_QUERY, UPDATE_ORDER_MUTATION } from '../../activities/clients';
import { buildDeclinedUpdate, buildRefundedUpdate } from '../../domain/bwp-report';
import { minor } from '../../domain/money';
import type { RefundPlan } from '../../domain/plan';
import { BwpOrder, type UpdateOrderInput } from '../../domain/schemas/bwp';
import { bwpOrder } from './fixtures';

/**
 * Every GraphQL document the client can send, and the variables of every report the workflow can build, validated
 * against the transcription of Buy with Prime's published 2024-11-01 schema (sandbox/bwp/schema.graphql) with
 * graphql-js's own `validate` and variable coercion: a field the reference does not have fails `npm test`.
 */

const root = path.join(__dirname, '..', '..');
const schema = buildSchema(readFileSync(path.join(root, 'sandbox/bwp/schema.graphql'), 'utf8'));

function problemsOf(document: string, variables?: Record<string, unknown>): string[] {
  const doc = parse(document);
  const errors = validate(schema, doc).map((e) => e.message);
  if (errors.length > 0 || variables === undefined) return errors;
  const operation = getOperationAST(doc);
  assert.ok(operation, 'one operation');
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return (coerced.errors ?? []).map((e) => e.message);
}

/** The three outcomes a refund can report, on the client fixture's order (one line, estimate 13.50 USD). */
export function reportExamples(): Record<'refunded' | 'partial' | 'declined', UpdateOrderInput> {
  const order = BwpOrder.parse(bwpOrder);
  const refund = order.refunds.details[0]!;
  const plan = (total: number): RefundPlan => ({
    revision: 1,
    mode: 'line-items',
    storeRequest: { order: 'store-order-1', line_items: [{ id: 'store-line-1', quantity: 1 }] },
    report: {
      currency: 'USD',
      total: minor(total),
      lines: [{ lineItemId: 'li-1', storeLineId: 'store-line-1', quantity: 1, amount: minor(total) }],
      shipping: false,
      estimateTolerance: minor(1),
    },
  });
  return {
    refunded: buildRefundedUpdate({
      orderId: order.id,
      refund,
      plan: plan(1350),
      refunded: { amount: '13.50', currency: 'USD' },
      storeRefundId: 'bwp-bwp%2Dorder%2D1-refund%2D1-r1',
    }),
    partial: buildRefundedUpdate({
      orderId: order.id,
      refund,
      plan: plan(400),
      refunded: { amount: '4.00', currency: 'USD' },
      storeRefundId: 'bwp-bwp%2Dorder%2D1-refund%2D1-r1',
    }),
    declined: buildDeclinedUpdate({
      orderId: order.id,
      refund,
      currency: 'USD',
      statusReason: 'FRAUDULENT_RETURN_ATTEMPT',
    }),
  };
}

void describe('the GraphQL documents the client sends', () => {
  void it('the order query and the updateOrder mutation validate against the published schema', () => {
    assert.deepEqual(problemsOf(ORDER_QUERY), []);
    assert.deepEqual(problemsOf(UPDATE_ORDER_MUTATION), []);
  });

  void it("the variables of both lookups (by id and by the store's EXTERNAL_ID alias) coerce", () => {
    assert.deepEqual(problemsOf(ORDER_QUERY, { orderIdentifier: { orderId: 'bwp-order-1' } }), []);
    assert.deepEqual(
      problemsOf(ORDER_QUERY, { orderIdentifier: { alias: { aliasType: 'EXTERNAL_ID', aliasId: 'store-order-1' } } }),
      [],
    );
  });

  for (const [outcome, variables] of Object.entries(reportExamples())) {
    void it(`the report of a ${outcome} refund coerces against UpdateOrderInput`, () => {
      assert.deepEqual(problemsOf(UPDATE_ORDER_MUTATION, variables), []);
    });
  }

  void it('a query shaped like the old client (order(orderId:), Order.totals, product.sku) fails validation', () => {
    const old = `query Order($orderId: ID) { order(orderId: $orderId) { id totals { grandTotal { amount } } lineItems { amount product { sku } } } }`;
    const problems = problemsOf(old);
    assert.ok(
      problems.some((p) => /Unknown argument "orderId"/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /Cannot query field "totals"/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /Cannot query field "sku"/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /must have a selection of subfields/.test(p)),
      problems.join('\n'),
    );
  });

  void it('an old-style report (orderId in input, refunds as a list, a bare line id) fails coercion', () => {
    const oldMutation = `mutation U($input: UpdateOrderInput!) { updateOrder(input: $input) { order { id } } }`;
    assert.ok(problemsOf(oldMutation).some((p) => /argument "orderIdentifier" .* is required/.test(p)));
    const problems = problemsOf(UPDATE_ORDER_MUTATION, {
      orderIdentifier: { orderId: 'o' },
      input: {
        orderId: 'o',
        refunds: [{ id: 'r', state: 'SUCCESS', refundTotal: { totalAmount: { amount: 1, currencyCode: 'USD' } } }],
      },
    });
    assert.ok(
      problems.some((p) => /"orderId" is not defined by type "UpdateOrderInput"/.test(p)),
      problems.join('\n'),
    );
    const bareLine = structuredClone(reportExamples().refunded) as unknown as {
      input: { refunds: { details: { refundFor: { orderLineItems: unknown[] } }[] } };
    };
    bareLine.input.refunds.details[0]!.refundFor.orderLineItems = [{ lineItemId: 'li-1' }];
    assert.ok(problemsOf(UPDATE_ORDER_MUTATION, bareLine).length > 0, 'a bare string is not a LineItemIdentifierInput');
    const noMethod = structuredClone(reportExamples().refunded) as unknown as {
      input: { refunds: { details: { paymentDetails: Record<string, unknown>[] }[] } };
    };
    delete noMethod.input.refunds.details[0]!.paymentDetails[0]!.paymentMethod;
    assert.ok(
      problemsOf(UPDATE_ORDER_MUTATION, noMethod).some((p) => /paymentMethod/.test(p)),
      'PaymentDetailsInput.paymentMethod is required',
    );
  });
});

void describe('docs/domain.md shows the reports as sent', () => {
  const doc = readFileSync(path.join(root, 'docs/domain.md'), 'utf8');
  const block = (marker: string): string => {
    const at = doc.indexOf(`<!-- ${marker} -->`);
    assert.ok(at >= 0, `docs/domain.md has the block ${marker}`);
    const m = /```(?:graphql|json)\n([\s\S]*?)```/.exec(doc.slice(at));
    assert.ok(m, `a code block follows ${marker}`);
    return m[1]!;
  };

  void it('the mutation document is the one the client sends (compared as parsed GraphQL)', () => {
    const operation = (source: string) =>
      print(parse(source).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!);
    assert.equal(operation(block('report:document')), operation(UPDATE_ORDER_MUTATION));
  });

  for (const [outcome, variables] of Object.entries(reportExamples())) {
    void it(`the variables of the ${outcome} report are what the workflow builds, and they validate`, () => {
      const shown = JSON.parse(block(`report:${outcome}`)) as Record<string, unknown>;
      assert.deepEqual(shown, variables);
      assert.deepEqual(problemsOf(UPDATE_ORDER_MUTATION, shown), []);
    });
  }
});
