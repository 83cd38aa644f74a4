/**
 * The generation of the histories today's workflow code records (test/helpers/harness.ts `recordHistory`): a behaviour
 * change (a new patch) starts a new one, so every path is saved again as the new code runs it, and the older
 * generations stay for the refunds they stand for. 1.0.0's histories are `<name>.bin`; those recorded since the reads
 * and the report run as local activities first (patch `local-lookups`) are `<name>.local-lookups.bin`.
 */
export const HISTORY_GENERATION = 'local-lookups';
