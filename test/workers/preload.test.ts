import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflowBundle } from '../helpers/temporal';

/**
 * The worker evaluates zod once per workflow thread (workers/worker.ts WORKFLOW_PRELOAD_MODULES, workflows/preload.ts),
 * not once per run. Read in the bundle itself: its preload function loads workflows/preload.ts, which imports the very
 * zod module the workflow code imports (the same webpack module id, so the run finds it in the shared module cache).
 * Listing `'zod'` instead left the preload function empty (zod declares no side effects, so webpack drops the require).
 */
void describe('the workflow bundle preloads zod', () => {
  void it('the preload function loads workflows/preload.ts, which imports the zod module the workflow code uses', async () => {
    const { code } = await workflowBundle();
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1] ?? '';
    assert.match(preload, /__webpack_require__\([^)]*"\.\/workflows\/preload\.ts"\)/, `preload function: ${preload}`);

    /** The zod module ids a bundled module of ours requires. */
    const zodIdsOf = (moduleId: string) => {
      const start = code.indexOf(`/***/ "${moduleId}"`);
      assert.ok(start >= 0, `${moduleId} is in the bundle`);
      const body = code.slice(start, code.indexOf('\n/***/ }', start));
      return [...body.matchAll(/__webpack_require__\(\/\*![^*]*\*\/ "(\.\/node_modules\/zod\/[^"]+)"\)/g)].map(
        (m) => m[1],
      );
    };
    const preloaded = zodIdsOf('./workflows/preload.ts');
    assert.equal(preloaded.length, 1, 'preload.ts imports zod once');
    for (const user of ['./workflows/refund.messages.ts', './domain/problems.ts']) {
      assert.deepEqual(zodIdsOf(user), preloaded, `${user} imports the same zod module as the preload`);
    }
  });
});
