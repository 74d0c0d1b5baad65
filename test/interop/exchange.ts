/**
 * What goes through a tunnel in the interop suite: the banner origin's server-speaks-first
 * exchange, a GET to the HTTPS origin over TLS inside the tunnel, and requests through the
 * agent and the dispatcher. Each checks that the right origin answered.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { expect } from 'vitest';
import type { ChainAgentOptions } from '../../src/adapters/http-agent.js';
import { type Chain, ChainError, type ChainErrorCode } from '../../src/index.js';
import type { Testbed } from './testbed.js';

/** Reads from `socket` until `done(text so far)` holds. */
function readUntil(socket: net.Socket | tls.TLSSocket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      socket.off('data', onData);
      socket.off('error', finish);
      socket.off('end', onEnd);
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) finish();
    };
    const onEnd = () =>
      done(text) ? finish() : finish(new Error(`stream ended after ${JSON.stringify(text)}`));
    socket.on('data', onData);
    socket.once('error', finish);
    socket.once('end', onEnd);
  });
}

/** Everything until the peer ends the stream. */
function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
}

/** The banner origin speaks first, then echoes: a tunnel must deliver bytes that arrive unasked. */
export async function bannerExchange(socket: net.Socket, testbed: Testbed): Promise<void> {
  const { banner } = testbed.origins.banner;
  try {
    expect(await readUntil(socket, (t) => t.length >= banner.length)).toBe(banner);
    const line = `ping ${Math.random().toString(36).slice(2)}\r\n`;
    const echoed = readUntil(socket, (t) => t.length >= line.length);
    socket.write(line);
    expect(await echoed).toBe(line);
  } finally {
    socket.destroy();
  }
}

/** TLS to the HTTPS origin inside the tunnel (SNI localhost, the test bed's CA), then a GET. */
export async function httpsGetOver(socket: net.Socket, testbed: Testbed, path = '/'): Promise<OriginEcho> {
  const { https: origin } = testbed.origins;
  const secure = tls.connect({ socket, servername: origin.servername, ca: readFileSync(testbed.ca) });
  try {
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    const response = readAll(secure);
    secure.write(`GET ${path} HTTP/1.1\r\nHost: localhost:${origin.port}\r\nConnection: close\r\n\r\n`);
    const text = await response;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as OriginEcho;
  } finally {
    secure.destroy();
    socket.destroy();
  }
}

/** A plain HTTP/1.0 GET over a raw tunnel; resolves with the origin's JSON echo. */
export async function httpGetOver(socket: net.Socket, host: string, port: number): Promise<OriginEcho> {
  try {
    const response = readAll(socket);
    socket.write(`GET / HTTP/1.0\r\nHost: ${host}:${port}\r\n\r\n`);
    const text = await response;
    expect(text).toMatch(/^HTTP\/1\.[01] 200 /);
    return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as OriginEcho;
  } finally {
    socket.destroy();
  }
}

export interface OriginEcho {
  origin: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** node:http(s).get through `chain.agent()`; resolves with the origin's JSON echo. */
export async function agentGet(
  chain: Chain,
  url: string,
  testbed: Testbed,
  options: ChainAgentOptions = {},
): Promise<OriginEcho> {
  const agent = chain.agent({ ca: readFileSync(testbed.ca), keepAlive: false, ...options });
  try {
    const get = url.startsWith('https:') ? https.get : http.get;
    return await new Promise<OriginEcho>((resolve, reject) => {
      const req = get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200)
            return reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          resolve(JSON.parse(body) as OriginEcho);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  } finally {
    agent.destroy();
  }
}

/** Node's global fetch with `chain.dispatcher()`; resolves with the origin's JSON echo. */
export async function dispatcherFetch(chain: Chain, url: string, testbed: Testbed): Promise<OriginEcho> {
  const dispatcher = chain.dispatcher({ ca: readFileSync(testbed.ca) });
  try {
    const response = await fetch(url, { dispatcher } as unknown as RequestInit).catch((error: unknown) => {
      // fetch wraps the chain's error as the cause of a TypeError: surface the ChainError.
      throw error instanceof Error && error.cause instanceof ChainError ? error.cause : error;
    });
    expect(response.status).toBe(200);
    return (await response.json()) as OriginEcho;
  } finally {
    await dispatcher.close();
  }
}

/** The origin's echo shows no proxy credentials (the proxies must not forward them). */
export function expectNoCredentialsForwarded(echo: OriginEcho): void {
  expect(Object.keys(echo.headers)).not.toContain('proxy-authorization');
  expect(Object.keys(echo.headers)).not.toContain('authorization');
}

/** Awaits a tunnel attempt that must fail: the ChainError, checked for code and hop. */
export async function expectFailure(
  attempt: Promise<unknown>,
  expected: { code: ChainErrorCode; hopIndex: number },
): Promise<ChainError> {
  const outcome = await attempt.then(
    (value) => {
      (value as net.Socket | undefined)?.destroy?.();
      return undefined;
    },
    (error: unknown) => error,
  );
  if (outcome === undefined)
    throw new Error(`expected ${expected.code} at hop ${expected.hopIndex}, the tunnel opened`);
  if (!(outcome instanceof ChainError)) throw outcome;
  expect(
    { code: outcome.code, hopIndex: outcome.hopIndex, message: outcome.message },
    `${outcome.code} at hop ${outcome.hopIndex}: ${outcome.message}`,
  ).toMatchObject(expected);
  return outcome;
}
