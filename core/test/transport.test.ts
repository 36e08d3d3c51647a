import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { Transport, TransportError, UpstreamSignal, readBody } from '../src/proxy/transport.ts';
import { DEFAULT_TIMEOUTS } from '../src/provider.ts';

/** readBody as it was (a `for await` loop): the reference for the listener-based one. */
async function readBodyReference(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** A stream that sends one chunk, then does `then` to itself. */
function partThen(then: (r: Readable) => void): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(Buffer.from('part'));
      setImmediate(() => then(this));
    },
  });
}

type Outcome = { ok: string } | { err: string };
const outcome = (p: Promise<Buffer>): Promise<Outcome> =>
  p.then(
    (b) => ({ ok: b.toString() }),
    (e: NodeJS.ErrnoException) => ({ err: `${e.code ?? ''} ${e.message}` }),
  );

describe('proxy transport', function () {
  this.timeout(20_000);

  describe('UpstreamSignal', () => {
    it('calls every abort listener once, with its reason set, and forgets removed ones', () => {
      const s = new UpstreamSignal();
      const calls: string[] = [];
      const a = () => calls.push(`a:${String(s.reason)}`);
      const b = () => calls.push('b');
      const c = () => calls.push('c');
      s.once('abort', a).on('abort', b).addListener('abort', c).on('other', () => calls.push('other'));
      s.removeListener('abort', b);
      expect(s.aborted).to.equal(false);
      s.abort('why');
      s.abort('again');
      expect(s.aborted).to.equal(true);
      expect(calls).to.deep.equal(['a:why', 'c']);
      s.on('abort', () => calls.push('late'));
      expect(calls).to.have.length(2);
    });

    it('removing the first listener keeps the others', () => {
      const s = new UpstreamSignal();
      const calls: string[] = [];
      const a = () => calls.push('a');
      s.on('abort', a).on('abort', () => calls.push('b')).off('abort', a);
      s.abort();
      expect(calls).to.deep.equal(['b']);
    });
  });

  describe('send', () => {
    let server: http.Server;
    let url: string;
    const seen: string[] = [];
    const transport = new Transport();
    before(async () => {
      server = http.createServer((req, res) => {
        seen.push(req.url ?? '');
        if (req.url?.startsWith('/hang')) return; // never answers
        res.end(`path ${req.url}`);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await transport.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    const send = (u: string, signal = new UpstreamSignal()) => transport.send({ url: u, method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }, DEFAULT_TIMEOUTS, signal);

    it('sends the path and query as undici derives them from the URL (no fragment, dot segments resolved)', async () => {
      for (const [u, path] of [
        ['/v1/messages?beta=true', '/v1/messages?beta=true'],
        ['/a/../b/./c?x=1#frag', '/b/c?x=1'],
        ['/sp ace', '/sp%20ace'],
        ['', '/'],
      ] as const) {
        const res = await send(`${url}${u}`);
        expect((await readBody(res.body)).toString()).to.equal(`path ${path}`);
        // Twice: the second time the split URL comes from the cache.
        const again = await send(`${url}${u}`);
        expect((await readBody(again.body)).toString()).to.equal(`path ${path}`);
      }
    });

    it('a URL undici refuses fails as a network error, as before', async () => {
      const err = await send('ftp://127.0.0.1/x').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransportError);
      expect(err).to.include({ kind: 'network' });
      expect((err as Error).message).to.match(/^upstream connection failed: /);
    });

    it('aborting while waiting for headers fails the call as aborted', async () => {
      const s = new UpstreamSignal();
      const p = send(`${url}/hang/1`, s);
      await new Promise((r) => setTimeout(r, 50));
      s.abort();
      const err = await p.catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransportError);
      expect(err).to.include({ kind: 'aborted' });
    });

    it('aborting with a TimeoutError reason fails the call as a timeout', async () => {
      const s = new UpstreamSignal();
      const p = send(`${url}/hang/2`, s);
      setTimeout(() => s.abort(new DOMException('upstream did not answer in time', 'TimeoutError')), 30);
      const err = await p.catch((e: unknown) => e);
      expect(err).to.include({ kind: 'timeout', message: 'upstream did not answer in time' });
    });

    it('a signal aborted beforehand never lets the request go out', async () => {
      const s = new UpstreamSignal();
      s.abort();
      const before = seen.length;
      const err = await send(`${url}/hang/3`, s).catch((e: unknown) => e);
      expect(err).to.include({ kind: 'aborted' });
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.length).to.equal(before);
    });

    it('aborting after the headers errors the body', async () => {
      const s = new UpstreamSignal();
      const res = await send(`${url}/ok`, s);
      s.abort();
      const err = await readBody(res.body).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
    });
  });

  describe('readBody (same results as the for-await loop it replaces)', () => {
    const cases: Record<string, () => Readable> = {
      'several chunks': () => Readable.from(['ab', 'cd', 'ef'].map((s) => Buffer.from(s)), { objectMode: false }),
      'one chunk': () => Readable.from([Buffer.from('only')], { objectMode: false }),
      empty: () => Readable.from([], { objectMode: false }),
      'an error mid-body': () => partThen((r) => r.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))),
      'closed before its end': () => partThen((r) => r.destroy()),
      'already errored': () => {
        const r = new Readable({ read() {} });
        r.on('error', () => {});
        r.destroy(new Error('gone'));
        return r;
      },
      'already destroyed': () => {
        const r = new Readable({ read() {} });
        r.destroy();
        return r;
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      it(name, async () => {
        expect(await outcome(readBody(make()))).to.deep.equal(await outcome(readBodyReference(make())));
      });
    }

    it('keeps exactly `limit` bytes and destroys the rest', async () => {
      const make = () => Readable.from(['0123456789', 'abcdefghij', 'KLMNOPQRST'].map((s) => Buffer.from(s)), { objectMode: false });
      for (const limit of [0, 5, 10, 15, 30, 31]) {
        const src = make();
        expect(await outcome(readBody(src, limit))).to.deep.equal(await outcome(readBodyReference(make(), limit)));
        if (limit < 30) expect(src.destroyed).to.equal(true);
      }
    });
  });
});
