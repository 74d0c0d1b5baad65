/**
 * The last hop's credentials never sit in an object a client library hands back. In
 * absolute-form (plain http:// behind an HTTP proxy last hop) the Proxy-Authorization is
 * added at the socket, so node:http requests and responses, axios responses and errors,
 * got responses and errors and fetch's results show no credential to `util.inspect`, on
 * success and on failure. `Expect: 100-continue` requests (node:http renders and queues
 * their head before the agent sees them) go out in absolute-form with the credentials.
 */
import http from 'node:http';
import type net from 'node:net';
import { inspect } from 'node:util';
import axios from 'axios';
import got from 'got';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import { type Fixture, startHttpProxy } from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';

let proxy: Fixture;
let origin: http.Server;
let originPort: number;
let chain: Chain;

const BASIC = Buffer.from(`${USER}:${SECRET}`).toString('base64');

/** Every rendering of `value` a log or an error report could show. */
function expectNoCredential(what: string, value: unknown): void {
  const text = [
    // Deep enough for a request's headers seen from an axios or got error (error.request, error.response.req...);
    // showHidden and more depth make a got object's rendering take minutes.
    inspect(value, { depth: 6 }),
    inspect(value, { depth: 2, showHidden: true }),
    value instanceof Error ? `${value.stack} ${String(value.cause)}` : '',
  ].join('\n');
  for (const secret of [SECRET, encodeURIComponent(SECRET), BASIC]) {
    expect(text.includes(secret), `${what} shows the credential`).toBe(false);
  }
}

beforeAll(async () => {
  proxy = await startHttpProxy({ auth: { username: USER, password: SECRET } });
  origin = http.createServer((req, res) => {
    if (req.url === '/hangup') return req.socket.destroy();
    req.resume();
    req.on('end', () => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originPort = (origin.address() as net.AddressInfo).port;
  chain = new Chain([hopUrl('http', proxy, { user: USER, pass: SECRET })], { timeoutMs: 5000 });
});

afterAll(async () => {
  await chain.close();
  await proxy.close();
  await new Promise((resolve) => origin.close(resolve));
});

const url = (path: string) => `http://127.0.0.1:${originPort}${path}`;

/** A node:http request through the chain's agent; resolves with what node:http handed out. */
function nodeRequest(
  path: string,
  options: http.RequestOptions = {},
  body?: string,
): Promise<{ req: http.ClientRequest; res?: http.IncomingMessage; body?: string; error?: Error }> {
  return new Promise((resolve) => {
    const req = http.request(url(path), { agent: chain.agent(), ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ req, res, body: text }));
    });
    req.on('error', (error) => resolve({ req, error }));
    if (body !== undefined && req.getHeader('expect')) req.on('continue', () => req.end(body));
    else req.end(body);
  });
}

describe('absolute-form through node:http: no credential in any object handed back', () => {
  it('GET: the request and the response', async () => {
    const from = proxy.log.length;
    const { req, res, body } = await nodeRequest('/ok');
    expect(res?.statusCode).toBe(200);
    expect(JSON.parse(body ?? '{}').headers).not.toHaveProperty('proxy-authorization');
    // The proxy did get the credentials, in absolute-form.
    const seen = proxy.log.slice(from).find((e) => e.type === 'request');
    expect(seen).toMatchObject({ url: url('/ok'), headers: { 'proxy-authorization': `Basic ${BASIC}` } });
    expectNoCredential('the ClientRequest', req);
    expectNoCredential('the IncomingMessage', res);
  });

  it('a request whose headers are an array (rendered before the agent sees it)', async () => {
    const { req, res } = await nodeRequest('/array', {
      headers: ['host', `127.0.0.1:${originPort}`, 'x-test', 'yes'] as unknown as http.OutgoingHttpHeaders,
    });
    expect(res?.statusCode).toBe(200);
    expectNoCredential('the ClientRequest', req);
  });

  it('a failure (the origin hangs up): the request and its error', async () => {
    const { req, error } = await nodeRequest('/hangup');
    expect(error).toBeInstanceOf(Error);
    expectNoCredential('the ClientRequest', req);
    expectNoCredential('the error', error);
  });
});

describe('Expect: 100-continue through chain.agent() (node:http queues the head early)', () => {
  it('goes out in absolute-form with the credentials, and the body follows', async () => {
    const from = proxy.log.length;
    const { req, res, body } = await nodeRequest(
      '/upload',
      { method: 'POST', headers: { expect: '100-continue', 'content-type': 'text/plain' } },
      'x'.repeat(1000),
    );
    expect(res?.statusCode).toBe(200);
    expect(JSON.parse(body ?? '{}')).toMatchObject({ method: 'POST', url: '/upload' });
    const seen = proxy.log.slice(from).find((e) => e.type === 'request');
    expect(seen).toMatchObject({ url: url('/upload'), headers: { 'proxy-authorization': `Basic ${BASIC}` } });
    expectNoCredential('the ClientRequest', req);
  });
});

describe('client libraries: responses and errors', () => {
  it('axios: a response, an HTTP error (500) and a network error', async () => {
    const agent = chain.agent();
    const ok = await axios.get(url('/axios'), { httpAgent: agent, proxy: false });
    expect(ok.status).toBe(200);
    expectNoCredential('the axios response', ok);
    const failed = await axios.get(url('/fail'), { httpAgent: agent, proxy: false }).catch((e: unknown) => e);
    expect(axios.isAxiosError(failed) && failed.response?.status).toBe(500);
    expectNoCredential('the axios error', failed);
    const hungUp = await axios
      .get(url('/hangup'), { httpAgent: agent, proxy: false })
      .catch((e: unknown) => e);
    expect(axios.isAxiosError(hungUp) && hungUp.response).toBeUndefined();
    expectNoCredential('the axios error', hungUp);
  });

  it('got: a response, an HTTP error (500) and a network error', async () => {
    const agent = { http: chain.agent() };
    const ok = await got(url('/got'), { agent, retry: { limit: 0 } });
    expect(ok.statusCode).toBe(200);
    expectNoCredential('the got response', ok);
    const failed = await got(url('/fail'), { agent, retry: { limit: 0 } }).catch((e: unknown) => e);
    expect((failed as { response?: { statusCode: number } }).response?.statusCode).toBe(500);
    expectNoCredential('the got error', failed);
    const hungUp = await got(url('/hangup'), { agent, retry: { limit: 0 } }).catch((e: unknown) => e);
    expect(hungUp).toBeInstanceOf(Error);
    expectNoCredential('the got error', hungUp);
  });

  it('fetch with chain.dispatcher(): a response and an error', async () => {
    const dispatcher = chain.dispatcher();
    const ok = await fetch(url('/fetch'), { dispatcher } as unknown as RequestInit);
    expect(ok.status).toBe(200);
    await ok.text();
    expectNoCredential('the fetch response', ok);
    const failed = await fetch(url('/hangup'), { dispatcher } as unknown as RequestInit).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(TypeError);
    expectNoCredential('the fetch error', failed);
  });
});
