import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type Logger } from '@temporalio/worker';
import { WORKFLOW_PRELOAD_MODULES } from '../workers/worker';

const root = path.resolve(__dirname, '..', fs.existsSync(path.resolve(__dirname, '..', 'package.json')) ? '' : '..');

/**
 * Bundles the workflow code as production workers load it (with the preload modules) and writes it to `out`; `logger`
 * receives webpack's report (the SDK's default logger prints it).
 */
export async function writeWorkflowBundle(out: string, logger?: Logger): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'workflows', 'index.ts'),
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    ...(logger ? { logger } : {}),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, code);
  return code.length;
}

/** Prebuilds the workflow bundle for production workers (they load it instead of bundling at start). */
async function main() {
  const out = path.join(root, 'dist', 'workflow-bundle.js');
  const size = await writeWorkflowBundle(out);
  console.log(`workflow bundle written to ${path.relative(root, out)} (${(size / 1024).toFixed(0)} KiB)`);
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
