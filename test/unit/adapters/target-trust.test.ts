/**
 * `targetTls`: trust for https:// targets, on the chain or on one chain.fetch() call, apart
 * from the chain's `ca` (hops only). The origin's certificate comes from the test CA; the
 * https hop's too, so each test shows which trust reached which side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../../src/index.js';
import {
  certs,
  type Fixture,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl } from '../../helpers.js';

let origin: Fixture;
let socks: Fixture;
let httpsHop: Fixture;

beforeAll(async () => {
  [origin, socks, httpsHop] = await Promise.all([
    startHttpOrigin({ tls: certs.localhost }),
    startSocksServer({ versions: [5] }),
    startHttpProxy({ tls: certs.localhost }),
  ]);
});

afterAll(async () => {
  await Promise.all([origin, socks, httpsHop].map((f) => f.close()));
});

const url = () => `https://localhost:${origin.port}/trust`;

/** The ChainError behind fetch's TypeError. */
async function fetchError(promise: Promise<Response>): Promise<ChainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const cause = (error as Error | undefined)?.cause;
  expect(cause).toBeInstanceOf(ChainError);
  return cause as ChainError;
}

describe('chain.fetch() and a private CA for the target', () => {
  it('fails with TLS_FAILED without targetTls', async () => {
    const chain = new Chain([hopUrl('socks5', socks)]);
    try {
      expect(await fetchError(chain.fetch(url()))).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1 });
    } finally {
      await chain.close();
    }
  });

  it("trusts the chain's targetTls.ca for the target", async () => {
    const chain = new Chain([hopUrl('socks5', socks)], { targetTls: { ca: certs.ca } });
    try {
      const response = await chain.fetch(url());
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ url: '/trust' });
    } finally {
      await chain.close();
    }
  });

  it('trusts a per-call targetTls.ca, for that call only', async () => {
    const chain = new Chain([hopUrl('socks5', socks)]);
    try {
      const response = await chain.fetch(url(), { targetTls: { ca: certs.ca } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      await fetchError(chain.fetch(url()));
    } finally {
      await chain.close();
    }
  });

  it("never mixes the two: the chain's ca trusts the https hop, not the target", async () => {
    const hop = hopUrl('https', { host: 'localhost', port: httpsHop.port });
    const hopsOnly = new Chain([hop], { ca: certs.ca });
    const targetsOnly = new Chain([hop], { targetTls: { ca: certs.ca } });
    try {
      expect(await fetchError(hopsOnly.fetch(url()))).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1 });
      expect(await fetchError(targetsOnly.fetch(url()))).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
      const both = new Chain([hop], { ca: certs.ca, targetTls: { ca: certs.ca } });
      expect((await both.fetch(url())).status).toBe(200);
      await both.close();
    } finally {
      await Promise.all([hopsOnly.close(), targetsOnly.close()]);
    }
  });

  it('is used by agent() and dispatcher() unless they have their own ca', async () => {
    const chain = new Chain([hopUrl('socks5', socks)], { targetTls: { ca: certs.ca } });
    try {
      const response = await fetch(url(), { dispatcher: chain.dispatcher() } as unknown as RequestInit);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      const own = await fetch(url(), {
        dispatcher: chain.dispatcher({ ca: certs.localhost.cert }),
      } as unknown as RequestInit).catch((e: unknown) => e);
      expect((own as Error).cause).toMatchObject({ code: 'TLS_FAILED' });
    } finally {
      await chain.close();
    }
  });

  it('rejects a malformed targetTls with INVALID_CONFIG', () => {
    expect(() => new Chain([hopUrl('socks5', socks)], { targetTls: { cA: 'x' } as never })).toThrow(
      /targetTls has an unknown key "cA"/,
    );
  });
});
