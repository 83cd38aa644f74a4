import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Sandbox } from '../../sandbox';
import { loadFixture, type Fixture } from '../../sandbox/fixtures';
import { gql, startSandbox } from './helpers';

/**
 * The published examples of the Buy with Prime 2024-11-01 reference, replayed word for word against the sandbox (on
 * orders seeded with the examples' ids): the sandbox must accept what Amazon documents and answer what Amazon prints.
 */

let sandbox: Sandbox;

/** The reference-example fixture with the given ids: one line "example-line-item-id", 1 unit at USD 10. */
function exampleOrder(orderId: string, storeOrderId: string, refundId: string): Fixture {
  const f = structuredClone(loadFixture('reference-example'));
  f.name = `example-${orderId.toLowerCase()}`;
  f.bwpOrder.id = orderId;
  f.bwpOrder.aliases = [{ aliasType: 'EXTERNAL_ID', aliasId: storeOrderId }];
  f.storeOrder.id = storeOrderId;
  f.bwpOrder.refunds.details[0]!.id = refundId;
  f.refundId = refundId;
  return f;
}

before(async () => {
  sandbox = await startSandbox();
  await sandbox.seed(exampleOrder('example-order-id', 'example-alias-id', 'refund-123'));
  await sandbox.seed(exampleOrder('322-ABC1-AAAAAA', 'example-store-order-322', 'example-refund-322'));
});
after(() => sandbox.close());

void describe('published examples of https://documents.buywithprime.amazon.com/bwp-api/docs/order-queries-order', () => {
  void it('"Get Order With Specified Alias": the request as printed gets the response as printed', async () => {
    const query = `query order {
    order(
        orderIdentifier: {
            alias: { aliasType: "EXTERNAL_ID", aliasId: "example-alias-id" }
        }
    ) {
        id
        lineItems {
            id
            amount {
                unit
                value
            }
        }
    }
}`;
    const res = await gql(sandbox, query);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body,
      JSON.parse(`{
    "data": {
        "order": {
            "id": "example-order-id",
            "lineItems": [
                {
                    "id": "example-line-item-id",
                    "amount": {
                        "unit": "ONE",
                        "value": 1
                    }
                }
            ]
        }
    }
}`),
    );
  });

  void it('"Get Order With Single Field": the request as printed gets the response as printed', async () => {
    const query = `query order {
    order(orderIdentifier: {orderId: "322-ABC1-AAAAAA"}) {
        lineItems {
            product {
                price {
                    currencyCode
                    amount
                }
            }
        }
    }
}`;
    const res = await gql(sandbox, query);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body,
      JSON.parse(`{
  "data": {
    "order": {
      "lineItems": [
        {
          "product": {
            "price": {
              "currencyCode": "USD",
              "amount": 10.0
            }
          }
        }
      ]
    }
  }
}`),
    );
  });
});

void describe('the example of https://documents.buywithprime.amazon.com/bwp-api/docs/update-refund-details', () => {
  /** "Update refund details and set the refund state to PARTIAL": the mutation variables as printed. */
  const VARIABLES = JSON.parse(`{
  "orderIdentifier": {
    "orderId": "example-order-id"
  },
  "input": {
    "refunds": {
      "details": [
        {
          "id": "refund-123",
          "aliases": [
            {
              "aliasType": "EXTERNAL_REFUND_ID",
              "aliasId": "your-oms-refund-id"
            }
          ],
          "refundTotal": {
            "totalAmount": {
              "amount": 4,
              "currencyCode": "USD"
            }
          },
          "state": "PARTIAL",
          "refundFor": {
            "orderLineItems": [
              {
                "lineItemId": {
                  "lineItemId": "example-line-item-id"
                }
              }
            ]
          },
          "paymentDetails": [
            {
              "id": "example-payment-transfer-id-1",
              "amount": {
                "amount": 4,
                "currencyCode": "USD"
              },
              "paymentMethod": {
                "displayString": "Visa ending in 1234",
                "type": "AMAZON_PAY"
              },
              "state": "SUCCESS"
            }
          ]
        }
      ]
    }
  }
}`) as Record<string, unknown>;

  void it('the guide’s own document is malformed (no updateOrder field, type OrderIdentifier): refused with 400', async () => {
    // As printed on the page: it never calls updateOrder, and OrderIdentifier is not the reference's type name.
    const printed = `mutation updateOrder($orderIdentifier: OrderIdentifier!, $input: UpdateOrderInput!) {
  order {
    id  
  }
}`;
    const res = await gql(sandbox, printed, VARIABLES);
    assert.equal(res.status, 400);
    assert.equal('data' in res.body, false);
    const messages = (res.body.errors as { message: string }[]).map((e) => e.message).join(' | ');
    assert.match(messages, /Unknown type "OrderIdentifier"/);
    assert.match(messages, /Cannot query field "order" on type "Mutation"/);
  });

  void it('its variables, with a correct document (the reference signature), set the refund to PARTIAL, 4 USD', async () => {
    const document = `mutation updateOrder($orderIdentifier: OrderIdentifierInput!, $input: UpdateOrderInput!) {
  updateOrder(orderIdentifier: $orderIdentifier, input: $input) {
    order {
      id
    }
  }
}`;
    const res = await gql(sandbox, document, VARIABLES);
    assert.equal(res.status, 200);
    // The guide prints {"data":{"updateOrder":{"id":"example-order-id"}}}, which contradicts its own selection and the
    // reference's UpdateOrderResponse { order }: the answer is the selection's shape.
    assert.deepEqual(res.body, { data: { updateOrder: { order: { id: 'example-order-id' } } } });

    const refund = sandbox.state.bwp.refund('example-order-id', 'refund-123');
    assert.equal(refund?.state, 'PARTIAL');
    assert.deepEqual(refund?.refundTotal, { totalAmount: { amount: 4, currencyCode: 'USD' } });
    assert.deepEqual(refund?.aliases, [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'your-oms-refund-id' }]);
    assert.deepEqual(refund?.paymentDetails, [
      {
        id: 'example-payment-transfer-id-1',
        amount: { amount: 4, currencyCode: 'USD' },
        paymentMethod: { displayString: 'Visa ending in 1234', type: 'AMAZON_PAY' },
        state: 'SUCCESS',
      },
    ]);
    assert.deepEqual(
      refund?.refundFor?.orderLineItems.map((l) => l.lineItem.id),
      ['example-line-item-id'],
    );
    const [entry] = sandbox.state.bwp.ledger().filter((e) => e.orderId === 'example-order-id');
    assert.deepEqual(
      entry?.delta.map((d) => d.paymentMethod?.type),
      ['AMAZON_PAY'],
    );
  });
});
