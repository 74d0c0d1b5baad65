/** The fixtures the probe tests share: three working hops (HTTP+auth, SOCKS5+auth, HTTPS) and origins. */
import { afterAll, beforeAll } from 'vitest';
import {
  certs,
  type Fixture,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { ensureBuilt, ROOT, runCli } from './run-cli.js';

export const CA = `${ROOT}test/fixtures/certs/ca.crt`;
export const creds = { user: USER, pass: SECRET };

export interface ProbeFixtures {
  http: Fixture;
  socks: Fixture;
  https: Fixture;
  origin: Fixture;
  httpsOrigin: Fixture;
  /** The three hops, comma separated, with credentials. */
  chain: string;
  /** Starts one more fixture, closed with the others. */
  start<T extends Fixture>(fixture: Promise<T>): Promise<T>;
}

/** Registers beforeAll/afterAll; the fields are filled once beforeAll has run. */
export function useProbeFixtures(): ProbeFixtures {
  const fixtures: Fixture[] = [];
  const state = {
    start: async <T extends Fixture>(fixture: Promise<T>): Promise<T> => {
      const f = await fixture;
      fixtures.push(f);
      return f;
    },
  } as ProbeFixtures;
  beforeAll(async () => {
    const auth = { username: USER, password: SECRET };
    [state.http, state.socks, state.https, state.origin, state.httpsOrigin] = await Promise.all([
      startHttpProxy({ auth }),
      startSocksServer({ versions: [5], auth }),
      startHttpProxy({ tls: certs.localhost }),
      startHttpOrigin(),
      startHttpOrigin({ tls: certs.localhost }),
    ]);
    fixtures.push(state.http, state.socks, state.https, state.origin, state.httpsOrigin);
    state.chain = [
      hopUrl('http', state.http, creds),
      hopUrl('socks5', state.socks, creds),
      hopUrl('https', state.https),
    ].join(',');
    await ensureBuilt();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
  });
  return state;
}

/** `sockschain probe --ca <test CA> ...args`. */
export function probe(...args: string[]) {
  return runCli(['probe', '--ca', CA, ...args]);
}
