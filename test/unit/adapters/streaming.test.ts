/**
 * Bodies stream both ways: 100 MB up and the same 100 MB back (the origin echoes as it
 * reads) through a 3-hop chain, with memory staying flat. A client or adapter that buffered
 * a body would grow by at least its size.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import { certs } from '../../fixtures/index.js';
import { type Env, startEnv } from './helpers.js';

const SIZE = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
// Loopback streaming alone keeps 15-25 MB of buffers in flight here; buffering a body would add 100 MB.
const MAX_RETAINED = 50 * 1024 * 1024;
// RSS also holds freed memory the allocator has not returned yet, so its bound is looser.
const MAX_RSS = 100 * 1024 * 1024;

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(() => env.close());

/** SIZE bytes in CHUNK pieces, generated as they are read; `digest` is their SHA-256. */
function upload(): { body: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= SIZE) return void this.push(null);
      const chunk = Buffer.alloc(CHUNK, sent / CHUNK);
      sent += CHUNK;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { body, digest: () => hash.digest('hex') };
}

// Garbage buffers linger until V8 collects them; forcing collections while sampling makes the
// measure what is retained, which is what buffering a body would show.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Samples memory after forced collections while `run` goes; resolves with the peak growths. */
async function peakGrowth(run: () => Promise<void>): Promise<{ retained: number; rss: number }> {
  const retained = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  const start = { retained: retained(), rss: process.memoryUsage().rss };
  const peak = { ...start };
  const sample = () => {
    gc();
    peak.retained = Math.max(peak.retained, retained());
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 100);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  sample();
  return { retained: peak.retained - start.retained, rss: peak.rss - start.rss };
}

function chain3(): Chain {
  return new Chain([env.hops.socks5, env.hops.http, env.hops.socks5], { ca: certs.ca });
}

it('node:http through the agent: 100 MB up and down with flat memory', async () => {
  const chain = chain3();
  const agent = chain.agent({ forwarding: 'connect' });
  const { body, digest } = upload();
  const received = createHash('sha256');
  let length = 0;
  const growth = await peakGrowth(async () => {
    const req = http.request(`http://127.0.0.1:${env.origin.port}/echo`, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': SIZE },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve).once('error', reject);
    });
    const sending = pipeline(body, req);
    const res = await response;
    for await (const chunk of res) {
      length += (chunk as Buffer).length;
      received.update(chunk as Buffer);
    }
    await sending;
  });
  await chain.close();
  expect(length).toBe(SIZE);
  expect(received.digest('hex')).toBe(digest());
  expect(growth.retained).toBeLessThan(MAX_RETAINED);
  expect(growth.rss).toBeLessThan(MAX_RSS);
}, 30_000);

it('undici through the dispatcher (https target): 100 MB up and down with flat memory', async () => {
  const chain = chain3();
  const dispatcher = chain.dispatcher({ ca: certs.ca });
  const { body, digest } = upload();
  const received = createHash('sha256');
  let length = 0;
  const growth = await peakGrowth(async () => {
    const res = await request(`https://localhost:${env.secureOrigin.port}/echo`, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
      body,
    });
    for await (const chunk of res.body) {
      length += (chunk as Buffer).length;
      received.update(chunk as Buffer);
    }
  });
  await chain.close();
  expect(length).toBe(SIZE);
  expect(received.digest('hex')).toBe(digest());
  expect(growth.retained).toBeLessThan(MAX_RETAINED);
  expect(growth.rss).toBeLessThan(MAX_RSS);
}, 30_000);
