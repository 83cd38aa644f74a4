import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny real HTTP server on port 0 that answers as a test tells it to, including the failures only a socket can show
 * (a reset, a hang-up, an answer cut off mid-body, an answer that comes too late). It records what the client sent.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** TCP RST: the client sees ECONNRESET. */
  | { fault: 'reset' }
  /** The socket just closes before any answer ("socket hang up" / "other side closed"). */
  | { fault: 'hangup' }
  /** Status and headers go out, then the socket closes before the promised body is complete. */
  | { fault: 'cut-body'; status: number };

export interface StubServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startStub(answer: (req: RecordedRequest) => Reply | Promise<Reply>): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(answer(recorded)).then((reply) => {
        if ('fault' in reply) {
          if (reply.fault === 'reset') req.socket.resetAndDestroy();
          else if (reply.fault === 'hangup') req.socket.destroy();
          else {
            res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': '1000' });
            res.write('{"id":"partial');
            setImmediate(() => req.socket.destroy());
          }
          return;
        }
        const send = () => {
          const body =
            reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(body);
        };
        if (reply.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) send();
          }, reply.delayMs);
          timers.add(t);
        } else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A port nothing listens on (bound then released), for connection-refused tests. */
export async function closedPortUrl(): Promise<string> {
  const stub = await startStub(() => ({ status: 204 }));
  await stub.close();
  return stub.url;
}

/** pino-compatible destination that keeps every log line, so tests can check what was (not) logged. */
export function captureLines(): { lines: string[]; stream: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}
