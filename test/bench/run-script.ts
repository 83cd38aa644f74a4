import { spawn } from 'node:child_process';
import path from 'node:path';

/** Shared by the two benchmark smoke tests: runs a benchmark script at a tiny size on this run's Temporal server. */

const ROOT = path.resolve(__dirname, '..', '..');
const address = process.env.TEMPORAL_TEST_ADDRESS;

export function runScript(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** `--address` of this run's server (none when the script starts its own). */
export const onServer = address ? ['--address', address] : [];
/** A task queue of its own, so runs never share workers. */
export const ownQueue = () => ['--task-queue', `smoke-${Math.random().toString(36).slice(2, 8)}`];
