import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Operators' API keys: one per person, with a role, stored only as a SHA-256 hash in a JSON file (OPERATOR_KEYS_FILE)
 * that `npm run operator-key` edits. A key is `rok_<id>_<secret>`: the id finds the entry, the secret is 256 random
 * bits, so a fast hash is enough (a slow one protects guessable passwords, and would only slow every request down).
 * The API re-reads the file whenever it changes: removing a key revokes it at once, without a restart.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `needed` may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export const OperatorName = z
  .string()
  .trim()
  .min(1, 'must not be blank')
  .max(100, 'must be at most 100 characters')
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

const KEY_RE = /^rok_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const OperatorKeyEntry = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  name: OperatorName,
  role: z.enum(ROLES),
  /** hex SHA-256 of the whole key. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
export type OperatorKeyEntry = z.infer<typeof OperatorKeyEntry>;

export const OperatorKeysFile = z.object({ version: z.literal(1), keys: z.array(OperatorKeyEntry) });
export type OperatorKeysFile = z.infer<typeof OperatorKeysFile>;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A new key for `name`: the entry to store and the key itself, which is shown once and never stored. */
export function newOperatorKey(name: string, role: Role, now = new Date()): { key: string; entry: OperatorKeyEntry } {
  const id = randomBytes(6).toString('hex');
  const key = `rok_${id}_${randomBytes(32).toString('base64url')}`;
  return {
    key,
    entry: {
      id,
      name: OperatorName.parse(name),
      role,
      sha256: sha256(key).toString('hex'),
      createdAt: now.toISOString(),
    },
  };
}

/** Whether a bearer token is shaped like an operator key (else it may be an OIDC token). */
export const looksLikeOperatorKey = (token: string) => token.startsWith('rok_');

export function readKeysFile(file: string): OperatorKeysFile {
  if (!fs.existsSync(file)) return { version: 1, keys: [] };
  const parsed = OperatorKeysFile.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not an operator keys file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Written whole to a temporary file and renamed over the old one, so a reader never sees half a file. */
export function writeKeysFile(file: string, content: OperatorKeysFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(OperatorKeysFile.parse(content), null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface OperatorIdentity {
  name: string;
  role: Role;
  via: 'key' | 'oidc';
  /** The key id or the token's subject. */
  id: string;
}

/** The keys file as the API sees it: re-read on every change (mtime, size, inode), failing closed if it breaks. */
export class OperatorKeyStore {
  private stamp = '';
  private byId = new Map<string, OperatorKeyEntry>();
  private broken: string | undefined;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.refresh();
    if (this.broken) throw new Error(this.broken);
  }

  /** The identity of a key, or undefined when it is unknown, revoked or malformed. */
  verify(key: string): OperatorIdentity | undefined {
    this.refresh();
    const m = KEY_RE.exec(key);
    const entry = m ? this.byId.get(m[1]!) : undefined;
    // Compared in constant time against the stored hash (or a dummy, so an unknown id costs the same).
    const expected = entry ? Buffer.from(entry.sha256, 'hex') : Buffer.alloc(32);
    const ok = timingSafeEqual(sha256(key), expected) && entry !== undefined && !this.broken;
    return ok ? { name: entry.name, role: entry.role, via: 'key', id: entry.id } : undefined;
  }

  get size(): number {
    return this.byId.size;
  }

  private refresh(): void {
    let stamp: string;
    try {
      const st = fs.statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'absent';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      const content = readKeysFile(this.file);
      this.byId = new Map(content.keys.map((k) => [k.id, k]));
      this.broken = undefined;
    } catch (err) {
      // Fail closed: a key removed while the file was being broken must not keep working.
      this.byId = new Map();
      this.broken = err instanceof Error ? err.message : String(err);
      this.onError(this.broken);
    }
  }
}
