/**
 * `Expect: 100-continue` uploads through `chain.agent()` with an authenticating HTTP proxy as
 * the last hop (absolute-form): squid of the test bed, and apache mod_proxy and ncat that this
 * file starts itself (ports 14300 and 14301). node:http renders and queues such a head before
 * the agent sees the request; it used to leave in origin-form without Proxy-Authorization
 * (squid and ncat answered 400, apache 404). Now the head is completed at the socket: the
 * proxy forwards the POST and its body, and the origin sees no credentials.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { eventually } from '../helpers.js';
import { APACHE_BINARIES, type ApacheProxy, startApacheProxy } from './apache.js';
import { expectNoCredentialsForwarded, type OriginEcho } from './exchange.js';
import { NCAT_BINARIES, type NcatProxy, startNcatProxy } from './ncat.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { useProgram } from './use-program.js';
import { useTestbed } from './use-testbed.js';

const APACHE_PORT = 14300;
const NCAT_PORT = 14301;
/** This file's own proxies' account (not the test bed's). */
const ACCOUNT = { username: 'carol', password: 'up-l0ad' };

const testbed = useTestbed();
const apache2 = testbed && useProgram('apache2 (mod_proxy)', APACHE_BINARIES);
const ncat = testbed && useProgram('ncat', NCAT_BINARIES);

interface UploadOptions {
  /** Send Content-Length (node:http otherwise sends the body chunked). */
  contentLength?: boolean;
  /** Send the body anyway after this long without a 100 (curl waits 1 s); default: wait for it. */
  continueWaitMs?: number;
}

function upload(
  chain: Chain,
  url: string,
  body: string,
  options: UploadOptions = {},
): Promise<{ status: number; echo: OriginEcho; continued: boolean }> {
  const agent = chain.agent({ keepAlive: false });
  const headers: http.OutgoingHttpHeaders = { expect: '100-continue', 'content-type': 'text/plain' };
  if (options.contentLength) headers['content-length'] = Buffer.byteLength(body);
  let continued = false;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        agent.destroy();
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        resolve({ status: res.statusCode, echo: JSON.parse(text) as OriginEcho, continued });
      });
    });
    req.on('error', reject);
    // Clients that send Expect wait for 100 (or a final status) before the body.
    const send = () => {
      clearTimeout(timer);
      if (!req.writableEnded) req.end(body);
    };
    const timer = options.continueWaitMs === undefined ? undefined : setTimeout(send, options.continueWaitMs);
    req.on('continue', () => {
      continued = true;
      send();
    });
  });
}

describe.runIf(testbed)('Expect: 100-continue through an authenticating HTTP last hop', () => {
  const bed = testbed as NonNullable<typeof testbed>;
  it.each(['squid-basic'])('%s forwards the POST in absolute-form', async (name) => {
    const chain = new Chain([hopUrl(bed, server(bed, name))], chainOptions(bed));
    try {
      const url = `${bed.origins.http.url.replace(/\/$/, '')}/upload?n=1`;
      const { echo } = await upload(chain, url, 'x'.repeat(4096));
      expect(echo).toMatchObject({ method: 'POST', url: '/upload?n=1' });
      expectNoCredentialsForwarded(echo);
    } finally {
      await chain.close();
    }
  });

  it('squid-basic: keep-alive requests, Expect among them, share one connection and each is authenticated', async () => {
    const chain = new Chain([hopUrl(bed, server(bed, 'squid-basic'))], chainOptions(bed));
    const agent = chain.agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    const base = bed.origins.http.url.replace(/\/$/, '');
    try {
      for (let i = 0; i < 4; i++) {
        const expectContinue = i === 3;
        const echo = await new Promise<OriginEcho>((resolve, reject) => {
          const req = http.request(
            `${base}/k${i}`,
            { agent, method: 'POST', headers: expectContinue ? { expect: '100-continue' } : {} },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                text += chunk;
              });
              res.on('end', () =>
                res.statusCode === 200
                  ? resolve(JSON.parse(text) as OriginEcho)
                  : reject(new Error(`HTTP ${res.statusCode}`)),
              );
            },
          );
          req.on('socket', (socket) => {
            if (!(socket as { counted?: boolean }).counted) connections++;
            (socket as { counted?: boolean }).counted = true;
          });
          req.on('error', reject);
          if (expectContinue) req.on('continue', () => req.end('abc'));
          else req.end('abc');
        });
        expect(echo).toMatchObject({ method: 'POST', url: `/k${i}` });
        expectNoCredentialsForwarded(echo);
      }
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      await chain.close();
    }
  });
});

describe.runIf(testbed && apache2)('Expect: 100-continue through apache mod_proxy (Basic proxy auth)', () => {
  const bed = testbed as NonNullable<typeof testbed>;
  let apache: ApacheProxy;
  beforeAll(async () => {
    apache = await startApacheProxy(apache2 as string, APACHE_PORT, ACCOUNT);
  });
  afterAll(() => apache?.stop());

  it('forwards the POST in absolute-form, authenticated, and answers 100 itself', async () => {
    const chain = new Chain([apache.url], chainOptions(bed));
    try {
      const url = `${bed.origins.http.url.replace(/\/$/, '')}/upload?via=apache`;
      const { echo, continued } = await upload(chain, url, 'x'.repeat(4096));
      expect(echo).toMatchObject({ method: 'POST', url: '/upload?via=apache' });
      expect(continued).toBe(true);
      expectNoCredentialsForwarded(echo);
      // apache logged the request line as it arrived and the user it authenticated (after
      // the response: its logging phase comes last).
      const line = `127.0.0.1 ${ACCOUNT.username} "POST ${url} HTTP/1.1" 200`;
      await eventually(() => apache.lines().includes(line), 3000);
    } finally {
      await chain.close();
    }
  });

  it('behind a SOCKS5 hop of the test bed (the tunnel to apache, then absolute-form)', async () => {
    const first = hopUrl(bed, server(bed, 'dante-open'));
    const chain = new Chain([first, apache.url], chainOptions(bed));
    try {
      const url = `${bed.origins.http.url.replace(/\/$/, '')}/upload?via=dante,apache`;
      const { echo } = await upload(chain, url, 'y'.repeat(70_000), { contentLength: true });
      expect(echo).toMatchObject({ method: 'POST', url: '/upload?via=dante,apache' });
      expectNoCredentialsForwarded(echo);
    } finally {
      await chain.close();
    }
  });
});

/**
 * ncat 7.93 never answers 100 and refuses chunked bodies (see ncat.ts): the upload carries
 * Content-Length and sends its body after 1 s without a 100, as curl does.
 */
describe.runIf(testbed && ncat)(
  'Expect: 100-continue through ncat --proxy-type http (Basic proxy auth)',
  () => {
    const bed = testbed as NonNullable<typeof testbed>;
    let proxy: NcatProxy;
    beforeAll(async () => {
      proxy = await startNcatProxy(ncat as string, NCAT_PORT, ACCOUNT);
    });
    afterAll(() => proxy?.stop());

    it('forwards the POST in absolute-form, authenticated', async () => {
      const chain = new Chain([proxy.url], chainOptions(bed));
      try {
        const url = `${bed.origins.http.url.replace(/\/$/, '')}/upload?via=ncat`;
        const { echo } = await upload(chain, url, 'z'.repeat(4096), {
          contentLength: true,
          continueWaitMs: 1000,
        });
        expect(echo).toMatchObject({ method: 'POST', url: '/upload?via=ncat' });
        expect(echo.headers).toMatchObject({ 'content-length': '4096', expect: '100-continue' });
        expectNoCredentialsForwarded(echo);
      } finally {
        await chain.close();
      }
    });

    it('refuses a chunked upload with 400 (ncat has no chunked request bodies; not the chain)', async () => {
      const chain = new Chain([proxy.url], chainOptions(bed));
      try {
        const url = `${bed.origins.http.url.replace(/\/$/, '')}/upload?via=ncat-chunked`;
        await expect(upload(chain, url, 'z'.repeat(100), { continueWaitMs: 1000 })).rejects.toThrow(
          /^HTTP 400/,
        );
      } finally {
        await chain.close();
      }
    });
  },
);
