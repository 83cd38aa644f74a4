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
    'v2-continue-as-new-carried',
    'v2-settlement-polling',
    'v2-idempotency-alarm',
    'v2-report-rejected',
    'v2-decision-by-signal',
    'v2-decision-by-update',
    'v2-malformed-signal',
    'v2-cancel-during-submission',
    // With the store-refund-check and idempotency-key-injective patches.
    'v2-store-amount-mismatch',
    'v2-injective-key-new-revision',
  ]) {
    assert.ok(files.includes(`${name}.bin`), `missing history ${name}.bin`);
  }
});

for (const file of files) {
  it(`the current workflow code replays the saved history "${file}" without a determinism error`, async () => {
    // Histories recorded before a patched() change take the old branch (the older v2- histories: before the
    // store-refund-check and idempotency-key-injective patches).
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  });
}

it('the v2- histories were recorded by the protocol workflow (they carry the refund-protocol-v2 marker)', () => {
  const v2 = files.filter((f) => f.startsWith('v2-'));
  assert.ok(v2.length >= 8);
  for (const file of v2) {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
    const marked = history.events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    assert.ok(marked, `${file} has the patch marker`);
  }
});

it('the histories of the later patches carry their markers, and the older v2- histories do not', () => {
  const text = (file: string) =>
    JSON.stringify(
      temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file))).events?.map((e) =>
        Object.values(e.markerRecordedEventAttributes?.details ?? {}).map((p) =>
          (p.payloads ?? []).map((x) => Buffer.from(x.data ?? []).toString('utf8')),
        ),
      ),
    );
  for (const file of ['v2-store-amount-mismatch.bin', 'v2-injective-key-new-revision.bin']) {
    assert.match(text(file), /store-refund-check/, file);
    assert.match(text(file), /idempotency-key-injective/, file);
  }
  // Recorded before those patches: they replay through the old branches (first key formula, no store check).
  assert.doesNotMatch(text('v2-idempotency-alarm.bin'), /idempotency-key-injective|store-refund-check/);
});

it('an incompatible change to the workflow fails the replay (the suite can fail)', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: require.resolve('./changed'),
    logger: quietBundlerLogger,
  });
  const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, 'v2-settlement-polling.bin')));
  await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, history, 'healthy'), (err: unknown) => {
    assert.ok(err instanceof DeterminismViolationError, String(err));
    return true;
  });
});
