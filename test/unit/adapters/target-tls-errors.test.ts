/**
 * TLS errors for https:// targets name the certificate's issuer and the chance that a
 * middlebox re-signs the connection, through each adapter. The origin's certificate is
 * signed by the test CA, which the client is not told about: what a TLS-inspecting proxy
 * in the path looks like to it.
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../../src/index.js';
import { certs, type Fixture, startHttpOrigin, startSocksServer } from '../../fixtures/index.js';
import { hopUrl } from '../../helpers.js';

let origin: Fixture;
let socks: Fixture;
let chain: Chain;

beforeAll(async () => {
  [origin, socks] = await Promise.all([
    startHttpOrigin({ tls: certs.localhost }),
    startSocksServer({ versions: [5] }),
  ]);
  chain = new Chain([hopUrl('socks5', socks)], { timeoutMs: 5000 });
});

afterAll(async () => {
  await chain.close();
  await Promise.all([origin.close(), socks.close()]);
});

const url = () => `https://localhost:${origin.port}/tls`;

function expectIssuerNamed(error: unknown): void {
  expect(error).toBeInstanceOf(ChainError);
  expect(error).toMatchObject({ code: 'TLS_FAILED', phase: 'tls', hopIndex: -1 });
  const message = (error as Error).message;
  expect(message).toContain('issued by "CN=sockschain test CA"');
  expect(message).toMatch(/re-signing/);
  expect(message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
}

describe('an untrusted https:// target certificate', () => {
  it('chain.agent(): the error names the issuer and interception', async () => {
    const error = await new Promise((resolve) => {
      https.get(url(), { agent: chain.agent() }, () => resolve(undefined)).on('error', resolve);
    });
    expectIssuerNamed(error);
  });

  it('chain.dispatcher() and chain.fetch(): the cause names the issuer and interception', async () => {
    const viaDispatcher = await fetch(url(), {
      dispatcher: chain.dispatcher(),
    } as unknown as RequestInit).catch((e: unknown) => e);
    expectIssuerNamed((viaDispatcher as Error).cause);
    const viaFetch = await chain.fetch(url()).catch((e: unknown) => e);
    expectIssuerNamed((viaFetch as Error).cause);
  });

  it('still connects when the CA is trusted, and when verification is off', async () => {
    const trusted = await chain.fetch(url(), { targetTls: { ca: certs.ca } });
    expect(trusted.status).toBe(200);
    await trusted.arrayBuffer();
    const unchecked = await fetch(url(), {
      dispatcher: chain.dispatcher({ rejectUnauthorized: false }),
    } as unknown as RequestInit);
    expect(unchecked.status).toBe(200);
    await unchecked.arrayBuffer();
  });

  it('a certificate for another name says so, with its issuer', async () => {
    const wrong = await startHttpOrigin({ tls: certs.wrongHost });
    try {
      const error = await chain
        .fetch(`https://localhost:${wrong.port}/`, { targetTls: { ca: certs.ca } })
        .catch((e: unknown) => e);
      const cause = (error as Error).cause as ChainError;
      expect(cause).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1 });
      expect(cause.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID: the certificate names another host/);
      expect(cause.message).toContain('CN=sockschain test CA');
    } finally {
      await wrong.close();
    }
  });
});
