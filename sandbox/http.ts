import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import type express from 'express';

/** Constant-time comparison of a presented credential with the configured one. */
export function safeEqual(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** The admin API changes the simulators' state without credentials, so it answers only to this machine. */
export const loopbackOnly: express.RequestHandler = (req, res, next) => {
  if (LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    next();
    return;
  }
  res.status(403).json({ error: { code: 'FORBIDDEN', message: 'The admin API answers only on loopback' } });
};

/** True for the errors express.json() raises on a body it cannot read (malformed, too large, bad charset). */
export function isBodyError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** One request that reached a simulator's API, kept so tests can prove a rate or count retries. */
export interface RequestRecord {
  /** Epoch milliseconds at arrival. */
  at: number;
  method: string;
  /** The full path as requested (e.g. /admin/api/v1/refund), without the query. */
  path: string;
  /** The status answered, or null when the connection was held or destroyed (commit-then-fail). */
  status: number | null;
}

/** Records a request at arrival and fills in its status when the answer is sent. */
export function recordRequest(log: RequestRecord[], req: express.Request, res: express.Response): RequestRecord {
  const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
  const record: RequestRecord = { at: Date.now(), method: req.method, path, status: null };
  log.push(record);
  res.on('finish', () => {
    record.status = res.statusCode;
  });
  return record;
}

export interface Listening {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts an app on host:port (0 picks a free port) and gives a close() that also drops held connections, and resolves
 * once the handlers of requests in flight have answered (bounded): a handler whose caller hung up still runs, and must
 * not outlive what it uses (the Temporal connection closed next, in tests and at shutdown).
 */
export async function listen(app: express.Express, host: string, port: number): Promise<Listening> {
  const server = http.createServer(app);
  let handling = 0;
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    handling += 1;
    let answered = false;
    const settle = () => {
      if (answered) return;
      answered = true;
      handling -= 1;
    };
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.end = ((...args: unknown[]) => {
      settle();
      return end(...args);
    }) as typeof res.end;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const handlersDone = async (deadline: number) => {
    while (handling > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  return {
    server,
    port: address.port,
    // Requests in flight may finish (up to 2 s); idle sockets go at once; handlers get up to 10 s to answer.
    close: async () => {
      const deadline = Date.now() + 10_000;
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await handlersDone(deadline);
    },
  };
}

/** Base URL of a listening server, always with an IPv4/IPv6 literal that fetch accepts. */
export function baseUrl(host: string, port: number): string {
  const literal = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${literal}:${port}`;
}
