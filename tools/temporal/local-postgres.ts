import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../common/logger';
import { freePort, isExecutable, onPath } from './dev-server';

/**
 * A private PostgreSQL cluster for `npm run cluster` and the cluster tests: `initdb` into a folder of the project's data
 * dir, then `postgres` in the foreground as a child process, on 127.0.0.1 only (no Unix socket), password auth
 * (scram-sha-256) for one superuser whose generated password is kept beside the data (mode 0600). PostgreSQL refuses
 * to run as root, so under root both run as the `postgres` user (the Debian package's), which then owns the data folder.
 * Nothing of the machine's own clusters (pg_ctlcluster, /var/lib/postgresql) is touched.
 */

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface LocalPostgres extends PostgresTarget {
  dir: string;
  logFile: string;
  pid(): number | undefined;
  /** fast: SIGINT (clean shutdown, sessions cut); immediate: SIGQUIT (a crash: recovery from the WAL on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
}

export class PostgresNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `Cannot run a local PostgreSQL: ${detail}\n` +
        'Install PostgreSQL (Debian: apt-get install postgresql), or point `npm run cluster` at a server you run with ' +
        'PGHOST, PGPORT, PGUSER and PGPASSWORD.',
    );
    this.name = 'PostgresNotFoundError';
  }
}

const USER = 'temporal';

/** initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin, else `pg_config --bindir`. */
export function findPostgresBinaries(): { initdb: string; postgres: string; binDir: string } {
  const dirs: string[] = [];
  const initdbOnPath = onPath('initdb');
  if (initdbOnPath) dirs.push(path.dirname(fs.realpathSync(initdbOnPath)));
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  const pgConfig = onPath('pg_config');
  if (pgConfig) {
    try {
      dirs.push(execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim());
    } catch {
      // not usable
    }
  }
  for (const dir of dirs) {
    const initdb = path.join(dir, 'initdb');
    const postgres = path.join(dir, 'postgres');
    if (isExecutable(initdb) && isExecutable(postgres)) return { initdb, postgres, binDir: dir };
  }
  throw new PostgresNotFoundError('initdb and postgres are not installed (looked on PATH and in /usr/lib/postgresql).');
}

/** Under root: the uid/gid of `postgres`, which PostgreSQL's programs must run as. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new PostgresNotFoundError('running as root, and there is no `postgres` user to run PostgreSQL as.');
  }
}

async function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd: string }): Promise<string> {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${code}):\n${out}`);
  return out;
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A postmaster left running by an earlier run that was killed (its postmaster.pid names a live `postgres`): stopped,
 * so this run can start its own on the same data.
 */
async function stopLeftover(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!(pid > 0) || !alive(pid)) return;
  const cmdline = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  log.warn({ pid, dataDir }, 'stopping a PostgreSQL left running by an earlier run');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Creates the cluster in `dir` on first use (kept across runs, like `.data/temporal.db` of `npm start`), and starts it.
 * `port` 0 picks a free one.
 */
export async function startLocalPostgres(opts: { dir: string; port: number; log: Logger }): Promise<LocalPostgres> {
  const { initdb, postgres, binDir } = findPostgresBinaries();
  const owner = runAs();
  const dir = path.resolve(opts.dir);
  const dataDir = path.join(dir, 'data');
  const passwordFile = path.join(dir, 'password');
  const logFile = path.join(dir, 'postgres.log');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) {
    // The postgres user must reach its data folder: every ancestor needs search permission for others.
    for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) {
        throw new PostgresNotFoundError(
          `the postgres user cannot enter ${d} (chmod o+x it, or choose another data dir).`,
        );
      }
    }
    fs.chownSync(dir, owner.uid, owner.gid);
  }

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    const pwfile = path.join(dir, 'initdb-pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) fs.chownSync(pwfile, owner.uid, owner.gid);
    opts.log.info({ dataDir, binDir }, 'creating a private PostgreSQL cluster (initdb)');
    try {
      await run(
        initdb,
        ['-D', dataDir, '-U', USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-instructions'],
        { ...owner, cwd: dir },
      );
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  await stopLeftover(dataDir, opts.log);
  const port = opts.port || (await freePort());

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const out = fs.openSync(logFile, 'a');
    child = spawn(
      postgres,
      [
        '-D',
        dataDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `port=${port}`,
        '-c',
        'unix_socket_directories=',
        // Four server processes each keep up to 20 persistence and 10 visibility connections.
        '-c',
        'max_connections=300',
      ],
      { ...owner, cwd: dir, stdio: ['ignore', out, out], detached: true },
    );
    fs.closeSync(out);
    const proc = child;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    // Ready when it accepts TCP and pg_isready says so (it accepts while still starting up or recovering).
    const isready = path.join(binDir, 'pg_isready');
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`postgres exited (${proc.exitCode ?? proc.signalCode}); see ${logFile}:\n${tail(logFile)}`);
      }
      const ready =
        (await accepting(port)) &&
        (!isExecutable(isready) ||
          (await run(isready, ['-h', '127.0.0.1', '-p', String(port), '-U', USER, '-q'], { cwd: dir }).then(
            () => true,
            () => false,
          )));
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections on ${port}:\n${tail(logFile)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  // A parent that dies without stopping the cluster must not leave the postmaster behind.
  process.once('exit', () => child?.kill('SIGQUIT'));

  await start();
  opts.log.info({ host: '127.0.0.1', port, user: USER, dataDir }, 'private PostgreSQL running');
  return { host: '127.0.0.1', port, user: USER, password, dir, logFile, pid: () => child?.pid, start, stop };
}

export function tail(file: string, bytes = 3000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
