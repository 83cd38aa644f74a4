import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { createOrderReader } from '../../api/refund-reads';
import type { RefundView } from '../../workflows/refund.contract';

/**
 * The order the repair page shows is the one the workflow last read, taken from the run's history: a regular activity's
 * completion (1.0.0's runs, and a read that went on as a regular activity) or a local activity's marker (since the
 * patch `local-lookups`). One layer, on saved histories of each kind, through a client that pages them newest first.
 */

const histories = path.join(__dirname, '..', 'replay', 'histories');

function clientServing(file: string): Client {
  const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(histories, file)));
  const newestFirst = [...history.events].reverse();
  return {
    options: {
      namespace: 'default',
      loadedDataConverter: { payloadConverter: defaultPayloadConverter, payloadCodecs: [] },
    },
    workflowService: {
      getWorkflowExecutionHistoryReverse: async () => ({ history: { events: newestFirst } }),
    },
  } as unknown as Client;
}

const record = { workflowId: 'refund:o:r', runId: 'run-1', view: { orderReads: 1 } as RefundView };

for (const [file, how] of [
  ['healthy-with-memo.bin', 'a regular activity (1.0.0)'],
  ['healthy-with-memo.local-lookups.bin', 'a local activity'],
] as const) {
  it(`reads the order and the policy from ${how}`, async () => {
    const read = await createOrderReader().read(clientServing(file), record);
    assert.match(read.orders?.order?.id ?? '', /^bwp-order-healthy-single-sku-/);
    assert.ok(read.orders?.storeOrder, 'the store order too');
    assert.ok(read.policy?.reasons, 'and the policy it was validated against');
    assert.equal((read as { timing?: unknown }).timing, undefined, 'the timing is not part of the read');
  });
}
