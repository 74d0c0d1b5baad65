/**
 * `Expect: 100-continue` uploads through `chain.agent()` with an authenticating HTTP proxy of
 * the test bed as the last hop (absolute-form). node:http renders and queues such a head
 * before the agent sees the request; it used to leave in origin-form without
 * Proxy-Authorization (squid answered 400). Now the head is completed at the
 * socket: the proxy forwards the POST and its body, and the origin sees no credentials.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { expectNoCredentialsForwarded, type OriginEcho } from './exchange.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

function upload(chain: Chain, url: string, body: string): Promise<{ status: number; echo: OriginEcho }> {
  const agent = chain.agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { agent, method: 'POST', headers: { expect: '100-continue', 'content-type': 'text/plain' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          agent.destroy();
          if (res.statusCode !== 200)
            return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          resolve({ status: res.statusCode, echo: JSON.parse(text) as OriginEcho });
        });
      },
    );
    req.on('error', reject);
    // Clients that send Expect wait for 100 (or a final status) before the body.
    req.on('continue', () => req.end(body));
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
