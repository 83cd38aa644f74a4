import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { quietBundlerLogger, workflowBundle } from '../helpers/temporal';

/**
 * Saved histories of every path of the refund workflow (recorded by the workflow suite with RECORD_HISTORIES=1) are
 * replayed through the current workflow code: a change that would break refunds already running fails here.
 */

const dir = path.join(__dirname, 'histories');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .sort();

it('there are saved histories of each path to replay', () => {
  for (const name of [
    'healthy-with-memo',
    'goodwill-repaired',
    'declined',
    'resolved-elsewhere',
    'throttled-then-refunded',
    'commit-then-fail',
    'rejected-then-repaired',
    'needs-attention-then-cancelled',
    'invalid-repair-then-cancel-blank-quantity',
    'invalid-repair-then-cancel-line-removed-from-store',
    'continue-as-new-carried',
    'settlement-polling',
    'idempotency-alarm',
    'report-rejected',
    'decision-by-signal',
    'decision-by-update',
    'malformed-signal',
    'cancel-during-submission',
    'store-amount-mismatch',
    'injective-key-new-revision',
    'resubmit-during-recheck',
    'repair-during-settling-read',
    'decline-then-temporal-cancel',
    'cancel-during-failing-read',
  ]) {
    assert.ok(files.includes(`${name}.bin`), `missing history ${name}.bin`);
  }
});

for (const file of files) {
  it(`the current workflow code replays the saved history "${file}" without a determinism error`, async () => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  });
}

it('an incompatible change to the workflow fails the replay (the suite can fail)', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: require.resolve('./changed'),
    logger: quietBundlerLogger,
  });
  const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, 'healthy-with-memo.bin')));
  await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, history, 'healthy'), (err: unknown) => {
    assert.ok(err instanceof DeterminismViolationError, String(err));
    return true;
  });
});
