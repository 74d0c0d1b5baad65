/**
 * 3- and 4-hop chains: every window of 4 (and, in another order, of 3) consecutive servers of
 * a cyclic list that alternates protocols, so each server is first, middle and last, next to
 * servers of other protocols; plus auth at every hop, TLS inside TLS inside TLS, and failures
 * deep in a long chain naming the right hop.
 */
import { describe, expect, it } from 'vitest';
import { Chain, type ChainErrorCode } from '../../src/index.js';
import { bannerExchange, expectFailure, httpsGetOver } from './exchange.js';
import { cell } from './record.js';
import { type Credentials, chainOptions, deniedAddress, fakeHop, hopUrl, server } from './servers.js';
import type { Address, Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

/** Protocols alternate: http, socks5, https, socks5, http, socks5, ... (cyclically). */
const CYCLE = [
  'squid-open',
  'dante-auth',
  'stunnel-squid-basic',
  'microsocks-open',
  'tinyproxy-basic',
  'ssh-socks',
  'squid-digest',
  'dante-open',
  'stunnel-squid-open',
  'microsocks-auth',
  'tinyproxy-open',
  'squid-basic',
];

function windows(order: string[], size: number): string[][] {
  return order.map((_, i) => Array.from({ length: size }, (_, k) => order[(i + k) % order.length] as string));
}

/** Every 5th of the cycle (5 and 12 are coprime: all 12 appear), for other neighbours. */
const STRIDE_5 = CYCLE.map((_, i) => CYCLE[(i * 5) % CYCLE.length] as string);

const WORKING: string[][] = [
  ...windows(CYCLE, 4),
  ...windows(STRIDE_5, 3),
  ['squid-digest', 'dante-auth', 'stunnel-squid-basic', 'microsocks-auth'], // auth at every hop
  ['stunnel-squid-basic', 'stunnel-squid-open', 'stunnel-squid-basic'], // TLS in TLS in TLS
  ['stunnel-squid-open', 'stunnel-squid-basic', 'ssh-socks', 'tinyproxy-basic'],
];

interface Failing {
  label: string;
  names: string[];
  /** Credentials per hop (default right). */
  credentials?: Partial<Record<number, Credentials>>;
  /** A stand-in next hop at this address appended to the chain. */
  nextAt?: (bed: Testbed) => Address;
  target: (bed: Testbed) => Address;
  code: ChainErrorCode;
  hopIndex: number;
}

const FAILING: Failing[] = [
  {
    label: 'wrong password at hop 3 of 4',
    names: ['dante-open', 'squid-basic', 'microsocks-auth', 'tinyproxy-open'],
    credentials: { 2: 'wrong' },
    target: (bed) => bed.origins.banner,
    code: 'AUTH_FAILED',
    hopIndex: 2,
  },
  {
    label: 'no credentials at hop 4 of 4 (TLS)',
    names: ['microsocks-open', 'squid-open', 'dante-auth', 'stunnel-squid-basic'],
    credentials: { 3: 'none' },
    target: (bed) => bed.origins.banner,
    code: 'AUTH_REQUIRED',
    hopIndex: 3,
  },
  {
    label: 'denied target behind 4 hops',
    names: ['stunnel-squid-open', 'dante-auth', 'tinyproxy-open', 'squid-digest'],
    target: (bed) => deniedAddress(bed, server(bed, 'squid-digest')),
    code: 'PROXY_DENIED',
    hopIndex: 3,
  },
  {
    label: 'closed target behind 4 hops',
    names: ['tinyproxy-basic', 'microsocks-auth', 'squid-open', 'ssh-socks'],
    target: (bed) => bed.closedTarget,
    code: 'TARGET_UNREACHABLE',
    hopIndex: 3,
  },
  {
    label: 'closed next hop after ssh -D at hop 3',
    names: ['squid-basic', 'dante-open', 'ssh-socks'],
    nextAt: (bed) => bed.closedTarget,
    target: (bed) => bed.origins.banner,
    code: 'HOP_UNREACHABLE',
    hopIndex: 3,
  },
  {
    label: 'closed next hop after tinyproxy at hop 2',
    names: ['stunnel-squid-basic', 'tinyproxy-basic'],
    nextAt: (bed) => bed.closedTarget,
    target: (bed) => bed.origins.banner,
    code: 'HOP_UNREACHABLE',
    hopIndex: 2,
  },
];

if (testbed) {
  const bed = testbed;
  const urls = (names: string[], credentials: Failing['credentials'] = {}) =>
    names.map((name, i) => hopUrl(bed, server(bed, name), credentials[i] ?? 'right'));

  describe.concurrent('chains that work', () => {
    it.for(WORKING.map((names) => [names.join(' → '), names] as const))(
      '%s',
      async ([label, names], { task }) => {
        const chain = new Chain(urls(names), chainOptions(bed));
        await cell(task, { table: 'chains', row: label, column: 'banner' }, async () => {
          await bannerExchange(await chain.connect(bed.origins.banner), bed);
        });
        await cell(task, { table: 'chains', row: label, column: 'https' }, async () => {
          const echo = await httpsGetOver(await chain.connect(bed.origins.https), bed);
          expect(echo.origin).toBe('https');
        });
      },
    );
  });

  describe.concurrent('chains that fail name the hop', () => {
    it.for(FAILING.map((f) => [f.label, f] as const))('%s', async ([, f], { task }) => {
      const hops = [...urls(f.names, f.credentials), ...(f.nextAt ? [fakeHop(f.nextAt(bed))] : [])];
      const row = `${f.names.join(' → ')}${f.nextAt ? ' → (closed port)' : ''}: ${f.label}`;
      await cell(task, { table: 'chains', row, column: f.code }, async () => {
        const chain = new Chain(hops, chainOptions(bed));
        await expectFailure(chain.connect(f.target(bed)), { code: f.code, hopIndex: f.hopIndex });
      });
    });
  });
}
