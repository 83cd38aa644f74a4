import { BwpValidationReason } from '../../domain/schemas/bwp';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  classifyBwpOrderQueryResponse,
  classifyBwpResponse,
  classifyBwpUpdateOrderResponse,
  classifyNetworkError,
  classifyRefundResponse,
  classifyStoreOrderResponse,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  type Outcome,
} from '../../activities/clients';
import { bwpOrder, refundSuccess, storeOrder } from './fixtures';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const noHeaders = new Headers();
const json = (v: unknown) => JSON.stringify(v);
const storeError = (code: string, message = `${code} happened`) => json({ error: { code, message } });

/** A JSON answer in the `{ meta: { success }, data }` envelope; undefined for an answer that is not JSON. */
function enveloped(status: number, body: string): string | undefined {
  if (body.trim() === '') return undefined;
  try {
    return json({ meta: { success: status < 400 }, data: JSON.parse(body) as unknown });
  } catch {
    return undefined;
  }
}

/** Asserts the fields a caller acts on, ignoring the wording of messages unless a test asks for it. */
function assertOutcome(actual: Outcome<unknown>, expected: Record<string, unknown>): void {
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]));
  assert.deepEqual(picked, expected, `got ${JSON.stringify(actual)}`);
}

/** "rejected INVALID_LINE_ITEMS", "unknown": the part of an expectation a test name shows. */
const label = (expected: Record<string, unknown>) =>
  [expected.kind, expected.code].filter((x): x is string => typeof x === 'string').join(' ');

void describe('parseRetryAfter', () => {
  const cases: [string, string | null | undefined, number | undefined][] = [
    ['delay-seconds', '7', 7_000],
    ['zero seconds', '0', 0],
    ['seconds with spaces', ' 3 ', 3_000],
    ['fractional seconds', '1.5', 1_500],
    ['an HTTP-date 30 s ahead', new Date(NOW + 30_000).toUTCString(), 30_000],
    ['an HTTP-date in the past', new Date(NOW - 60_000).toUTCString(), 0],
    ['an obsolete RFC 850 date', 'Sunday, 01-Jun-25 12:00:10 GMT', 10_000],
    ['a missing header', null, undefined],
    ['an undefined header', undefined, undefined],
    ['an empty header', '', undefined],
    ['garbage', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['seconds above the cap', '999999', MAX_RETRY_AFTER_MS],
    ['a date far in the future', new Date(NOW + 86_400_000).toUTCString(), MAX_RETRY_AFTER_MS],
  ];
  for (const [name, value, expected] of cases) {
    void it(`reads ${name} as ${expected} ms`, () => assert.equal(parseRetryAfter(value, NOW), expected));
  }
});

void describe('classifyRefundResponse (POST /refund)', () => {
  const retryAt = new Headers({ 'retry-after': new Date(NOW + 12_000).toUTCString() });
  const cases: [string, number, Headers, string, Record<string, unknown>][] = [
    ['200 with a refund', 200, noHeaders, json(refundSuccess), { kind: 'success', value: refundSuccess }],
    ['201 with a refund', 201, noHeaders, json(refundSuccess), { kind: 'success', value: refundSuccess }],
    ['200 with an empty body', 200, noHeaders, '', { kind: 'unknown', status: 200 }],
    ['200 with HTML', 200, noHeaders, '<html>ok</html>', { kind: 'unknown', status: 200 }],
    ['200 with JSON of another shape', 200, noHeaders, json({ id: 'x' }), { kind: 'unknown', status: 200 }],
    [
      '200 with a non-decimal amount',
      200,
      noHeaders,
      json({ ...refundSuccess, refunded: { amount: 13.5, currency: 'USD' } }),
      { kind: 'unknown' },
    ],
    ...[
      'INVALID_REFUND_REQUEST',
      'INVALID_LINE_ITEMS',
      'CURRENCY_MISMATCH',
      'SHIPPING_ALREADY_REFUNDED',
      'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
    ].map((code): [string, number, Headers, string, Record<string, unknown>] => [
      `400 ${code}`,
      400,
      noHeaders,
      storeError(code),
      { kind: 'rejected', code, status: 400, message: `${code} happened`, retryable: undefined },
    ]),
    ...['UNKNOWN_ORDER', 'UNKNOWN_LINE_ITEMS'].map(
      (code): [string, number, Headers, string, Record<string, unknown>] => [
        `404 ${code}`,
        404,
        noHeaders,
        storeError(code),
        { kind: 'rejected', code, status: 404, retryable: undefined },
      ],
    ),
    ['400 without a body', 400, noHeaders, '', { kind: 'rejected', code: 'HTTP_400', status: 400 }],
    ['404 from a proxy (HTML)', 404, noHeaders, '<h1>Not Found</h1>', { kind: 'rejected', code: 'HTTP_404' }],
    [
      '422 with an undocumented code',
      422,
      noHeaders,
      storeError('SOMETHING_NEW'),
      { kind: 'rejected', code: 'SOMETHING_NEW' },
    ],
    ['401', 401, noHeaders, storeError('UNAUTHORIZED'), { kind: 'rejected', code: 'UNAUTHORIZED', status: 401 }],
    ['403 without a body', 403, noHeaders, '', { kind: 'rejected', code: 'UNAUTHORIZED', status: 403 }],
    ['408', 408, noHeaders, '', { kind: 'unknown', status: 408 }],
    [
      '409 IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
      409,
      noHeaders,
      storeError('IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH'),
      { kind: 'rejected', code: 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', status: 409 },
    ],
    [
      '409 with any body',
      409,
      noHeaders,
      'conflict',
      { kind: 'rejected', code: 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', status: 409 },
    ],
    [
      '429 with Retry-After seconds',
      429,
      new Headers({ 'retry-after': '7' }),
      storeError('RATE_LIMITED'),
      { kind: 'throttled', retryAfterMs: 7_000 },
    ],
    [
      '429 with a Retry-After HTTP-date',
      429,
      retryAt,
      storeError('RATE_LIMITED'),
      { kind: 'throttled', retryAfterMs: 12_000 },
    ],
    ['429 without Retry-After', 429, noHeaders, '', { kind: 'throttled', retryAfterMs: undefined }],
    [
      '400 RATE_LIMITED',
      400,
      new Headers({ 'retry-after': '2' }),
      storeError('RATE_LIMITED'),
      { kind: 'throttled', retryAfterMs: 2_000 },
    ],
    [
      '500 REFUND_FAILED',
      500,
      noHeaders,
      storeError('REFUND_FAILED'),
      { kind: 'rejected', code: 'REFUND_FAILED', status: 500, retryable: true },
    ],
    ['500 with another code', 500, noHeaders, storeError('INTERNAL'), { kind: 'unknown', status: 500 }],
    ['500 with HTML', 500, noHeaders, '<html>oops</html>', { kind: 'unknown', status: 500 }],
    [
      '501 with a code',
      501,
      noHeaders,
      storeError('MULTIPLE_PREORDERS_NOT_SUPPORTED'),
      { kind: 'rejected', code: 'MULTIPLE_PREORDERS_NOT_SUPPORTED', status: 501 },
    ],
    [
      '501 without a body',
      501,
      noHeaders,
      '',
      { kind: 'rejected', code: 'MULTIPLE_PREORDERS_NOT_SUPPORTED', status: 501 },
    ],
    ['502', 502, noHeaders, '<html>Bad Gateway</html>', { kind: 'unknown', status: 502 }],
    ['503', 503, noHeaders, '', { kind: 'unknown', status: 503 }],
    ['504', 504, noHeaders, storeError('GATEWAY_TIMEOUT'), { kind: 'unknown', status: 504 }],
    ['302 redirect', 302, new Headers({ location: '/login' }), '', { kind: 'unknown', status: 302 }],
  ];
  for (const [name, status, headers, body, expected] of cases) {
    void it(`classifies ${name} as ${label(expected)}`, () =>
      assertOutcome(classifyRefundResponse(status, headers, body, NOW), expected));
  }
  // The same answers in the store platform's { meta: { success }, data } envelope mean the same.
  for (const [name, status, headers, body, expected] of cases) {
    const wrapped = enveloped(status, body);
    if (wrapped === undefined) continue;
    void it(`classifies ${name} in the envelope as ${label(expected)}`, () =>
      assertOutcome(classifyRefundResponse(status, headers, wrapped, NOW), expected));
  }

  void it('reads an error code wherever the envelope puts it: data.error, data, or beside meta', () => {
    const forms = [
      { meta: { success: false }, data: { error: { code: 'INVALID_LINE_ITEMS', message: 'm' } } },
      { meta: { success: false }, data: { code: 'INVALID_LINE_ITEMS', message: 'm' } },
      { meta: { success: false }, data: null, error: { code: 'INVALID_LINE_ITEMS', message: 'm' } },
    ];
    for (const form of forms) {
      assertOutcome(classifyRefundResponse(400, noHeaders, json(form), NOW), {
        kind: 'rejected',
        code: 'INVALID_LINE_ITEMS',
        message: 'm',
      });
    }
  });

  void it('calls a 2xx envelope that says success false unknown: the refund may or may not be applied', () =>
    assertOutcome(
      classifyRefundResponse(201, noHeaders, json({ meta: { success: false }, data: refundSuccess }), NOW),
      { kind: 'unknown', status: 201 },
    ));

  void it('names the mismatching field when a 2xx body has the wrong shape', () => {
    const outcome = classifyRefundResponse(200, noHeaders, json({ id: 'k', order: 'o' }), NOW);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /refunded/);
  });

  void it('keeps long error pages out of the message', () => {
    const outcome = classifyRefundResponse(502, noHeaders, 'x'.repeat(10_000), NOW);
    assert.ok(outcome.kind === 'unknown' && outcome.message.length < 400);
  });
});

void describe('classifyStoreOrderResponse (GET /orders/:id)', () => {
  void it('parses the order and fills defaults', () => {
    const { unitTax: _t, kind: _k, ...bare } = storeOrder.lineItems[0]!;
    const outcome = classifyStoreOrderResponse(200, noHeaders, json({ ...storeOrder, lineItems: [bare] }), NOW);
    assert.equal(outcome.kind, 'success');
    assert.deepEqual(outcome.kind === 'success' && outcome.value?.lineItems[0], {
      ...bare,
      unitTax: '0',
      kind: 'checkout',
    });
  });
  void it('turns 404 UNKNOWN_ORDER into null', () =>
    assert.deepEqual(classifyStoreOrderResponse(404, noHeaders, storeError('UNKNOWN_ORDER'), NOW), {
      kind: 'success',
      value: null,
    }));
  void it('does not mistake a proxy 404 for an unknown order', () =>
    assertOutcome(classifyStoreOrderResponse(404, noHeaders, 'Cannot GET /orders/1', NOW), {
      kind: 'rejected',
      code: 'HTTP_404',
    }));
  void it('treats a broken 200 as unknown', () =>
    assertOutcome(classifyStoreOrderResponse(200, noHeaders, '{"id":', NOW), { kind: 'unknown', status: 200 }));
  void it('reads the order and the 404 UNKNOWN_ORDER in the envelope too', () => {
    const read = classifyStoreOrderResponse(200, noHeaders, json({ meta: { success: true }, data: storeOrder }), NOW);
    assert.equal(read.kind === 'success' && read.value?.id, storeOrder.id);
    const missing = { meta: { success: false }, data: { error: { code: 'UNKNOWN_ORDER', message: 'no' } } };
    assert.deepEqual(classifyStoreOrderResponse(404, noHeaders, json(missing), NOW), { kind: 'success', value: null });
  });
});

void describe('classifyBwpResponse (GraphQL)', () => {
  const gqlError = (code: string, reason?: string, message = 'nope') => ({
    message,
    extensions: reason ? { code, reason } : { code },
  });
  const update = (order: unknown) => json({ data: { updateOrder: { order } } });
  const failing = (errors: unknown[], data: unknown = null) => json({ data, errors });

  void describe('updateOrder', () => {
    const reasons = BwpValidationReason.options;
    const cases: [string, number, Headers, string, Record<string, unknown>][] = [
      ['the updated order', 200, noHeaders, update(bwpOrder), { kind: 'success', value: bwpOrder }],
      ...reasons.map((reason): [string, number, Headers, string, Record<string, unknown>] => [
        `ValidationError ${reason}`,
        200,
        noHeaders,
        failing([gqlError('ValidationError', reason)]),
        { kind: 'rejected', code: reason, status: 200 },
      ]),
      [
        'ValidationError without a reason',
        200,
        noHeaders,
        failing([gqlError('ValidationError')]),
        { kind: 'rejected', code: 'ValidationError' },
      ],
      [
        'ValidationError with a new reason',
        200,
        noHeaders,
        failing([gqlError('ValidationError', 'BrandNew')]),
        { kind: 'rejected', code: 'BrandNew' },
      ],
      [
        'ThrottlingError in a 200',
        200,
        noHeaders,
        failing([gqlError('ThrottlingError')]),
        { kind: 'throttled', retryAfterMs: undefined },
      ],
      [
        'ThrottlingError as 429 with Retry-After',
        429,
        new Headers({ 'retry-after': '4' }),
        failing([gqlError('ThrottlingError')]),
        { kind: 'throttled', retryAfterMs: 4_000 },
      ],
      [
        '429 without a body',
        429,
        new Headers({ 'retry-after': new Date(NOW + 9_000).toUTCString() }),
        '',
        { kind: 'throttled', retryAfterMs: 9_000 },
      ],
      [
        'ThrottlingError beside a ValidationError',
        200,
        noHeaders,
        failing([gqlError('ValidationError', 'InvalidRefundId'), gqlError('ThrottlingError')]),
        { kind: 'throttled' },
      ],
      [
        'AccessDeniedError in a 200',
        200,
        noHeaders,
        failing([gqlError('AccessDeniedError')]),
        { kind: 'rejected', code: 'UNAUTHORIZED' },
      ],
      [
        '401',
        401,
        noHeaders,
        failing([gqlError('AccessDeniedError')]),
        { kind: 'rejected', code: 'UNAUTHORIZED', status: 401 },
      ],
      ['403 without a body', 403, noHeaders, '', { kind: 'rejected', code: 'UNAUTHORIZED', status: 403 }],
      [
        'ResourceNotFoundError',
        200,
        noHeaders,
        failing([gqlError('ResourceNotFoundError')]),
        { kind: 'rejected', code: 'ResourceNotFoundError' },
      ],
      [
        'InternalServerError',
        200,
        noHeaders,
        failing([gqlError('InternalServerError')]),
        { kind: 'unknown', status: 200 },
      ],
      [
        'an execution error without a code',
        200,
        noHeaders,
        failing([{ message: 'resolver blew up', path: ['updateOrder'] }]),
        { kind: 'unknown' },
      ],
      [
        'a pre-execution error (no data key)',
        400,
        noHeaders,
        json({ errors: [{ message: 'Cannot query field "x" on type "Order".' }] }),
        { kind: 'rejected', code: 'GRAPHQL_ERROR', status: 400 },
      ],
      [
        'a pre-execution error with a code',
        200,
        noHeaders,
        json({ errors: [gqlError('GRAPHQL_VALIDATION_FAILED')] }),
        { kind: 'rejected', code: 'GRAPHQL_VALIDATION_FAILED' },
      ],
      ['500', 500, noHeaders, failing([gqlError('InternalServerError')]), { kind: 'unknown', status: 500 }],
      ['502 with HTML', 502, noHeaders, '<html>Bad Gateway</html>', { kind: 'unknown', status: 502 }],
      ['404 without GraphQL errors', 404, noHeaders, 'Not Found', { kind: 'rejected', code: 'HTTP_404' }],
      ['408', 408, noHeaders, '', { kind: 'unknown', status: 408 }],
      ['200 that is not JSON', 200, noHeaders, '<html>', { kind: 'unknown', status: 200 }],
      ['200 without data', 200, noHeaders, json({}), { kind: 'unknown', status: 200 }],
      [
        '200 with an order of the wrong shape',
        200,
        noHeaders,
        update({ ...bwpOrder, lineItems: [{ ...bwpOrder.lineItems[0], amount: 2 }] }),
        { kind: 'unknown', status: 200 },
      ],
    ];
    for (const [name, status, headers, body, expected] of cases) {
      void it(`classifies ${name} as ${label(expected)}`, () =>
        assertOutcome(classifyBwpUpdateOrderResponse(status, headers, body, NOW), expected));
    }

    void it('names the field that does not match BwpOrder', () => {
      const wrong = { ...bwpOrder, lineItems: [{ ...bwpOrder.lineItems[0], amount: 2 }] };
      const outcome = classifyBwpUpdateOrderResponse(200, noHeaders, update(wrong), NOW);
      assert.match(outcome.kind === 'unknown' ? outcome.message : '', /updateOrder\.order\.lineItems\.0\.amount/);
    });

    void it('keeps the GraphQL message in a rejection', () => {
      const body = failing([gqlError('ValidationError', 'InvalidRefundId', 'Refund id r-9 is not on the order')]);
      const outcome = classifyBwpUpdateOrderResponse(200, noHeaders, body, NOW);
      assert.match(outcome.kind === 'rejected' ? outcome.message : '', /r-9 is not on the order/);
    });
  });

  void describe('order query', () => {
    void it('returns the order', () =>
      assert.deepEqual(classifyBwpOrderQueryResponse(200, noHeaders, json({ data: { order: bwpOrder } }), NOW), {
        kind: 'success',
        value: bwpOrder,
      }));
    void it('returns null when data.order is null', () =>
      assert.deepEqual(classifyBwpOrderQueryResponse(200, noHeaders, json({ data: { order: null } }), NOW), {
        kind: 'success',
        value: null,
      }));
    void it('returns null on ResourceNotFoundError', () =>
      assert.deepEqual(
        classifyBwpOrderQueryResponse(
          200,
          noHeaders,
          failing([gqlError('ResourceNotFoundError')], { order: null }),
          NOW,
        ),
        { kind: 'success', value: null },
      ));
    void it('reads null lists as empty and drops null elements (GraphQL [T] lists)', () => {
      const { refunds: _r, ...rest } = bwpOrder;
      const outcome = classifyBwpOrderQueryResponse(
        200,
        noHeaders,
        json({ data: { order: { ...rest, aliases: null, lineItems: [null, ...bwpOrder.lineItems] } } }),
        NOW,
      );
      assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
      assert.deepEqual(outcome.kind === 'success' && outcome.value?.refunds, { details: [] });
      assert.deepEqual(outcome.kind === 'success' && outcome.value?.aliases, []);
      assert.equal(outcome.kind === 'success' && outcome.value?.lineItems.length, 1);
    });

    void it('reads an error type and code wherever a server puts them (extensions.errorType/errorCode first)', () => {
      const at = (extensions: Record<string, unknown>, message = 'nope') =>
        classifyBwpOrderQueryResponse(200, noHeaders, failing([{ message, extensions }], { order: null }), NOW);
      assertOutcome(at({ errorType: 'ThrottlingError' }), { kind: 'throttled' });
      assertOutcome(at({ classification: 'AccessDeniedError' }), { kind: 'rejected', code: 'UNAUTHORIZED' });
      assertOutcome(at({ errorType: 'ValidationError', errorCode: 'InvalidRefundId' }), {
        kind: 'rejected',
        code: 'InvalidRefundId',
      });
      assertOutcome(at({}, 'ThrottlingError: slow down'), { kind: 'throttled' });
    });
  });

  void it('parses data with any schema the caller gives', () =>
    assert.deepEqual(classifyBwpResponse(200, noHeaders, json({ data: { n: 1 } }), z.object({ n: z.number() }), NOW), {
      kind: 'success',
      value: { n: 1 },
    }));
});

void describe('classifyNetworkError', () => {
  const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
  const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });
  const cases: [string, unknown, RegExp][] = [
    ['our timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), /timed out/],
    ['a caller abort', new DOMException('This operation was aborted', 'AbortError'), /aborted/],
    ['ECONNRESET', fetchFailed(socketError('ECONNRESET', 'read ECONNRESET')), /ECONNRESET/],
    ['ECONNREFUSED', fetchFailed(socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')), /ECONNREFUSED/],
    ['socket hang up', fetchFailed(socketError('ECONNRESET', 'socket hang up')), /socket hang up/],
    ['undici other side closed', fetchFailed(socketError('UND_ERR_SOCKET', 'other side closed')), /other side closed/],
    ['a thrown string', 'boom', /boom/],
  ];
  for (const [name, err, pattern] of cases) {
    void it(`classifies ${name} as unknown`, () => {
      const outcome = classifyNetworkError(err, 'POST /refund');
      assert.equal(outcome.kind, 'unknown');
      assert.match(outcome.message, /^POST \/refund got no answer/);
      assert.match(outcome.message, pattern);
    });
  }
});
