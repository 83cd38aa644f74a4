import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { refundIdOf, refundWorkflowId } from '../../workflows/refund.contract';

describe('refundWorkflowId', () => {
  it('maps an id without : or % exactly as before (refund:<order>:<refund>), so running refunds are still found', () => {
    assert.equal(refundWorkflowId('order-id', 'example-refund-id'), 'refund:order-id:example-refund-id');
    assert.equal(
      refundWorkflowId('114-1234567-1234567', 'amzn1.refund.ABC_def~x@y'),
      'refund:114-1234567-1234567:amzn1.refund.ABC_def~x@y',
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !/[:%]/.test(s)),
        fc.string({ minLength: 1 }).filter((s) => !/[:%]/.test(s)),
        (o, r) => refundWorkflowId(o, r) === `refund:${o}:${r}`,
      ),
    );
  });

  it('no longer gives a:b/c and a/b:c the same id', () => {
    assert.notEqual(refundWorkflowId('a:b', 'c'), refundWorkflowId('a', 'b:c'));
    assert.equal(refundWorkflowId('a:b', 'c'), 'refund:a%3Ab:c');
    assert.equal(refundWorkflowId('a', 'b:c'), 'refund:a:b%3Ac');
    // `%` is encoded too, or a literal "%3A" would read as an encoded colon.
    assert.notEqual(refundWorkflowId('a%3Ab', 'c'), refundWorkflowId('a:b', 'c'));
  });

  it('is injective: distinct (order, refund) pairs never share an id, and the refund id reads back', () => {
    const id = fc.string({ unit: fc.constantFrom('a', 'b', ':', '%', '3', 'A', '2', '5'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(id, id, id, id, (o1, r1, o2, r2) => {
        if (o1 === o2 && r1 === r2) return true;
        return refundWorkflowId(o1, r1) !== refundWorkflowId(o2, r2);
      }),
      { numRuns: 5000 },
    );
    fc.assert(fc.property(id, id, (o, r) => refundIdOf(refundWorkflowId(o, r)) === r));
  });
});
