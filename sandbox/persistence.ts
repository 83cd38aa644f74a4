import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BwpSnapshot } from './bwp/simulator';
import { StoreSnapshot } from './store/simulator';

/**
 * The sandbox's state file: both simulators' orders, idempotency results and ledgers (never faults nor BwP access
 * tokens). Version 2: BwP orders in the published 2024-11-01 shape and the ledger entries with payment deltas; a
 * version 1 file is refused (start without it).
 */
export const SandboxStateFile = z.object({
  version: z.literal(2),
  savedAt: z.string(),
  bwp: BwpSnapshot,
  store: StoreSnapshot,
});
export type SandboxStateFile = z.infer<typeof SandboxStateFile>;

/** Reads the state file, or undefined when there is none yet; a damaged file is an error naming it. */
export function readStateFile(file: string): SandboxStateFile | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = SandboxStateFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`Sandbox state file ${file} is not valid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Writes the whole state to a temporary file beside it and renames it over the old one, so a crash mid-write leaves
 * either the previous state or the new one, never half of each. Synchronous on purpose: saves happen in mutation order.
 */
export function writeStateFile(file: string, state: SandboxStateFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state));
  renameSync(temporary, file);
}
