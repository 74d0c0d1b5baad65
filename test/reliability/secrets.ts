/**
 * A three-hop chain whose every hop has its own password (http -> socks5 -> https), for the
 * credential tests: what each hop received, and whether any password shows anywhere.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import {
  certs,
  type Fixture,
  startEchoServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../fixtures/index.js';
import { hopUrl } from '../helpers.js';

/** Each with a core of its own (to search for) and the characters URLs and headers care about. */
export const USERS = ['ann', 'bob', 'cyd'] as const;
export const PASSWORDS = ['p1:Zq1xK@/%x', 'p2 Wm2yJ#?&', 'p3/Vn3zH:@+'] as const;
const CORES = ['Zq1xK', 'Wm2yJ', 'Vn3zH'];

export interface SecretEnv {
  hops: [Fixture, Fixture, Fixture];
  origin: Fixture;
  secureOrigin: Fixture;
  echo: Fixture;
  /** The hop URLs, passwords percent-encoded; the https hop by name for its certificate. */
  urls: [string, string, string];
  close(): Promise<void>;
}

export async function startSecretEnv(): Promise<SecretEnv> {
  const auth = (i: number) => ({ username: USERS[i] as string, password: PASSWORDS[i] as string });
  const creds = (i: number) => ({ user: USERS[i] as string, pass: PASSWORDS[i] as string });
  const [http, socks, https, origin, secureOrigin, echo] = await Promise.all([
    startHttpProxy({ auth: auth(0) }),
    startSocksServer({ versions: [5], auth: auth(1) }),
    startHttpProxy({ auth: auth(2), tls: certs.localhost }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
    startEchoServer(),
  ]);
  return {
    hops: [http, socks, https],
    origin,
    secureOrigin,
    echo,
    urls: [
      hopUrl('http', http, creds(0)),
      hopUrl('socks5', socks, creds(1)),
      hopUrl('https', { host: 'localhost', port: https.port }, creds(2)),
    ],
    close: async () => {
      await Promise.all([http, socks, https, origin, secureOrigin, echo].map((f) => f.close()));
    },
  };
}

/**
 * Every form a password could leak in: raw, percent-encoded, its core, inside Basic
 * credentials, and as the hex of an inspected Buffer (NODE_DEBUG=stream prints those).
 */
export function forms(i: number): string[] {
  const password = PASSWORDS[i] as string;
  const basic = Buffer.from(`${USERS[i]}:${password}`).toString('base64');
  const hex = (
    Buffer.from(CORES[i] as string)
      .toString('hex')
      .match(/../g) ?? []
  ).join(' ');
  return [password, encodeURIComponent(password), CORES[i] as string, basic, hex];
}

/** None of the passwords (of the hops listed, default all) in any of the texts. */
export function expectNoPassword(texts: readonly string[], which: readonly number[] = [0, 1, 2]): void {
  for (const text of texts) {
    for (const i of which) {
      for (const form of forms(i)) {
        if (text.includes(form)) throw new Error(`password of hop ${i + 1} (${form}) found in:\n${text}`);
      }
    }
  }
  expect(texts.length).toBeGreaterThan(0);
}

/** Every rendering of a value, errors' causes included. */
export function shown(value: unknown): string[] {
  const out = [String(value), inspect(value, { depth: 10, showHidden: true })];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // Circular: the others stand.
  }
  let cause: unknown = value;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    out.push(cause.message, cause.stack ?? '', JSON.stringify(cause) ?? '');
    cause = cause.cause;
  }
  return out;
}

/** A writable that keeps what is written, for a command's stdout and stderr. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}
