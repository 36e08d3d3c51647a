import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a replay upstream answers: a recorded body, sent byte for byte, optionally in small pieces. */
export interface Replay {
  status?: number;
  headers?: Record<string, string>;
  body: Buffer;
  /** Write the body in pieces of this many bytes, a millisecond apart (exercises stream parsers). */
  chunkSize?: number;
}

export interface ReplayRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ReplayUpstream {
  url: string;
  requests: ReplayRequest[];
  /** What the next requests get; tests set it before sending. */
  reply: Replay;
  close(): Promise<void>;
}

/** A tiny upstream that replays a recorded provider response, whatever the request. */
export async function createReplayUpstream(): Promise<ReplayUpstream> {
  const sockets = new Set<Socket>();
  const state: ReplayUpstream = {
    url: '',
    requests: [],
    reply: { body: Buffer.from('{}') },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      state.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      const r = state.reply;
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...r.headers });
      if (!r.chunkSize) return void res.end(r.body);
      for (let i = 0; i < r.body.length; i += r.chunkSize) {
        res.write(r.body.subarray(i, i + r.chunkSize));
        await new Promise((ok) => setTimeout(ok, 1));
      }
      res.end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((ok) => {
      server.close(() => ok());
      for (const s of sockets) s.destroy();
    });
  return state;
}

/** Feed `bytes` to `push` split at every possible point (two pieces), plus byte by byte. */
export function everySplit(bytes: Buffer, run: (pieces: Buffer[]) => void): void {
  for (let i = 1; i < bytes.length; i++) run([bytes.subarray(0, i), bytes.subarray(i)]);
  run([...bytes].map((b) => Buffer.from([b])));
}
