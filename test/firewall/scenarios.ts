// Every firewall scenario of the lab, as data: the chain, the rules that play the firewall,
// and what `probe` must conclude (the link, the cause, the exit status). The *.test.ts files
// run them by group. Ports, users and credentials come from the lab (lab.json).
import type { Lab, Rules } from './lab.js';

export type Group = 'hop1' | 'between' | 'beyond' | 'credentials' | 'inspection' | 'tls' | 'allow-list';

/** `from`/`to`: 0-based hop indices, null = this machine (from) or the target (to). */
export interface Expected {
  exit: number;
  /** Per target, in probe's order; one entry for a single target. null = reachable. */
  results: ({ from: number | null; to: number | null; cause: string } | null)[];
}

export interface Scenario {
  group: Group;
  name: string;
  chain: string[];
  targets: string[];
  /** More probe options (--app-check, --ports, ...). */
  args?: string[];
  rules: Rules;
  expected: Expected;
}

// nft verdicts, and what a connect() sees for each (measured: docs/firewalls.md).
const VERDICTS = {
  drop: 'drop',
  reset: 'reject with tcp reset',
  'admin-prohibited': 'reject with icmpx type admin-prohibited',
  'host-unreachable': 'reject with icmpx type host-unreachable',
  'port-unreachable': 'reject with icmpx type port-unreachable',
} as const;
type Verdict = keyof typeof VERDICTS;

// iptables targets for payload rules: silence (the segment is retransmitted and dropped
// again) or a TCP reset (what an IPS does).
const PAYLOAD_VERDICTS = {
  drop: ['-j', 'DROP'],
  reset: ['-j', 'REJECT', '--reject-with', 'tcp-reset'],
} as const;
type PayloadVerdict = keyof typeof PAYLOAD_VERDICTS;

/** iptables u32: the first byte of the TCP payload (IPv4) equals BYTE. */
const firstByte = (byte: number) => [
  '-m',
  'u32',
  '--u32',
  `0>>22&0x3C@12>>26&0x3C@0>>24=0x${byte.toString(16)}`,
];
const carries = (text: string) => ['-m', 'string', '--string', text, '--algo', 'bm'];

export function scenarios(lab: Lab): Scenario[] {
  const h = lab.host;
  const p = lab.ports;
  const sq = lab.credentials.squid;
  const da = lab.credentials.dante;
  const url = {
    http: `http://${h}:${p.squidOpen}`,
    httpAuth: `http://${sq.user}:${sq.pass}@${h}:${p.squidBasic}`,
    https: `https://${h}:${p.stunnelOpen}`,
    httpsAuth: `https://${sq.user}:${sq.pass}@${h}:${p.stunnelBasic}`,
    socks: `socks5://${h}:${p.danteOpen}`,
    socksAuth: `socks5://${da.user}:${da.pass}@${h}:${p.danteAuth}`,
  };
  const target = `${h}:${p.originHttp}`;
  const httpsTarget = `https://${h}:${p.originHttps}`;
  const port = { http: p.squidOpen, https: p.stunnelOpen, socks: p.danteOpen };
  // The user that sends on each hop's outgoing links (stunnel's https hop forwards to squid,
  // which makes the hop's own connections).
  const egress = { http: lab.users.squid, https: lab.users.squid, socks: lab.users.dante };
  const CLIENT = 'meta skuid 0'; // the client runs as root; every proxy has its own user
  const out: Scenario[] = [];

  // --- port filtered / rejected, at hop 1 -------------------------------------------------
  const hop1Cause: Record<Verdict, string> = {
    drop: 'filtered',
    reset: 'refused',
    'admin-prohibited': 'firewall-rejected',
    'host-unreachable': 'firewall-rejected',
    'port-unreachable': 'refused', // ICMP port unreachable makes connect() fail as ECONNREFUSED
  };
  for (const kind of ['http', 'https', 'socks'] as const) {
    for (const v of Object.keys(VERDICTS) as Verdict[]) {
      if (kind !== 'http' && (v === 'host-unreachable' || v === 'port-unreachable')) continue;
      out.push({
        group: 'hop1',
        name: `${kind} hop 1, port ${v}`,
        chain: [url[kind]],
        targets: [target],
        rules: { filter: [`${CLIENT} tcp dport ${port[kind]} ${VERDICTS[v]}`] },
        expected: { exit: 2, results: [{ from: null, to: 0, cause: hop1Cause[v] }] },
      });
    }
  }

  // The same over IPv6 (squid listens on [::1] too): ICMPv6 admin-prohibited makes connect()
  // fail with EACCES, not EHOSTUNREACH.
  for (const v of ['drop', 'admin-prohibited'] as const) {
    out.push({
      group: 'hop1',
      name: `http hop 1 on [::1], port ${v}`,
      chain: [`http://[::1]:${p.squidOpen}`],
      targets: [target],
      rules: { filter: [`${CLIENT} tcp dport ${p.squidOpen} ${VERDICTS[v]}`] },
      expected: { exit: 2, results: [{ from: null, to: 0, cause: hop1Cause[v] }] },
    });
  }

  // --- port filtered / rejected on the link between hop 1 and hop 2 -------------------------
  const linkCause: Partial<Record<Verdict, string>> = {
    drop: 'filtered',
    reset: 'refused',
    'admin-prohibited': 'firewall-rejected',
  };
  const pairs = [
    ['http', 'socks'],
    ['socks', 'http'],
    ['http', 'https'],
  ] as const;
  for (const [a, b] of pairs) {
    for (const v of Object.keys(linkCause) as Verdict[]) {
      out.push({
        group: 'between',
        name: `${a} hop 1 → ${b} hop 2, port ${v}`,
        chain: [url[a], url[b]],
        targets: [target],
        rules: { filter: [`meta skuid ${egress[a]} tcp dport ${port[b]} ${VERDICTS[v]}`] },
        expected: { exit: 2, results: [{ from: 0, to: 1, cause: linkCause[v] as string }] },
      });
    }
  }

  // --- beyond the last hop ---------------------------------------------------------------
  const targetCause: Partial<Record<Verdict, string>> = {
    drop: 'target-filtered',
    reset: 'target-refused',
    'admin-prohibited': 'target-refused',
  };
  for (const kind of ['http', 'https', 'socks'] as const) {
    for (const v of Object.keys(targetCause) as Verdict[]) {
      out.push({
        group: 'beyond',
        name: `${kind} last hop → target, port ${v}`,
        chain: [url[kind]],
        targets: [target],
        rules: { filter: [`meta skuid ${egress[kind]} tcp dport ${p.originHttp} ${VERDICTS[v]}`] },
        expected: { exit: 1, results: [{ from: 0, to: null, cause: targetCause[v] as string }] },
      });
    }
  }
  out.push({
    group: 'beyond',
    name: 'http hop 1 → socks hop 2 → target, port drop',
    chain: [url.http, url.socks],
    targets: [target],
    rules: { filter: [`meta skuid ${lab.users.dante} tcp dport ${p.originHttp} drop`] },
    expected: { exit: 1, results: [{ from: 1, to: null, cause: 'target-filtered' }] },
  });

  // A default-deny egress on the hop: every new connection it opens is dropped. probe's canary
  // must be something the hop answers without one (port 0), or a filtered target (or next
  // hop) reads as the hop's protocol being blocked.
  const egressCut = (user: string) => `meta skuid ${user} ct state new drop`;
  for (const kind of ['http', 'https', 'socks'] as const) {
    out.push({
      group: 'beyond',
      name: `${kind} last hop → target, every new connection of the hop dropped`,
      chain: [url[kind]],
      targets: [target],
      rules: { filter: [egressCut(egress[kind])] },
      expected: { exit: 1, results: [{ from: 0, to: null, cause: 'target-filtered' }] },
    });
  }
  out.push({
    group: 'beyond',
    name: 'socks last hop with credentials → target, port drop',
    chain: [url.socksAuth],
    targets: [target],
    rules: { filter: [`meta skuid ${lab.users.dante} tcp dport ${p.originHttp} drop`] },
    expected: { exit: 1, results: [{ from: 0, to: null, cause: 'target-filtered' }] },
  });
  out.push({
    group: 'beyond',
    name: 'http last hop with credentials → target, port drop',
    chain: [url.httpAuth],
    targets: [target],
    rules: { filter: [`meta skuid ${lab.users.squid} tcp dport ${p.originHttp} drop`] },
    expected: { exit: 1, results: [{ from: 0, to: null, cause: 'target-filtered' }] },
  });
  for (const [a, b] of [
    ['http', 'socks'],
    ['socks', 'http'],
  ] as const) {
    out.push({
      group: 'between',
      name: `${a} hop 1 → ${b} hop 2, every new connection of hop 1 dropped`,
      chain: [url[a], url[b]],
      targets: [target],
      rules: { filter: [egressCut(egress[a])] },
      expected: { exit: 2, results: [{ from: 0, to: 1, cause: 'filtered' }] },
    });
  }

  // --- credentials blocked ----------------------------------------------------------------
  for (const v of Object.keys(PAYLOAD_VERDICTS) as PayloadVerdict[]) {
    const verdict = PAYLOAD_VERDICTS[v];
    const blocked = { exit: 2, results: [{ from: null, to: 0, cause: 'credentials-blocked' }] };
    out.push({
      group: 'credentials',
      name: `http hop 1, packets carrying Proxy-Authorization ${v}`,
      chain: [url.httpAuth],
      targets: [target],
      rules: {
        iptables: [
          [
            '-p',
            'tcp',
            '--dport',
            `${p.squidBasic}`,
            ...uid(0),
            ...carries('Proxy-Authorization'),
            ...verdict,
          ],
        ],
      },
      expected: blocked,
    });
    out.push({
      group: 'credentials',
      name: `socks hop 1, RFC 1929 username/password message ${v}`,
      chain: [url.socksAuth],
      targets: [target],
      rules: {
        iptables: [['-p', 'tcp', '--dport', `${p.danteAuth}`, ...uid(0), ...firstByte(0x01), ...verdict]],
      },
      expected: blocked,
    });
    out.push({
      group: 'credentials',
      name: `socks hop 1 → http hop 2, Proxy-Authorization ${v}`,
      chain: [url.socks, url.httpAuth],
      targets: [target],
      rules: {
        iptables: [
          [
            '-p',
            'tcp',
            '--dport',
            `${p.squidBasic}`,
            ...uid(lab.users.dante),
            ...carries('Proxy-Authorization'),
            ...verdict,
          ],
        ],
      },
      expected: { exit: 2, results: [{ from: 0, to: 1, cause: 'credentials-blocked' }] },
    });
    out.push({
      group: 'credentials',
      name: `http hop 1 → socks hop 2, RFC 1929 message ${v}`,
      chain: [url.http, url.socksAuth],
      targets: [target],
      rules: {
        iptables: [
          ['-p', 'tcp', '--dport', `${p.danteAuth}`, ...uid(lab.users.squid), ...firstByte(0x01), ...verdict],
        ],
      },
      expected: { exit: 2, results: [{ from: 0, to: 1, cause: 'credentials-blocked' }] },
    });
  }
  out.push({
    group: 'credentials',
    name: 'https hop 1 with credentials, Proxy-Authorization dropped anywhere: TLS hides it (remedy)',
    chain: [url.httpsAuth],
    targets: [target],
    rules: {
      iptables: [['-p', 'tcp', ...uid(0), ...carries('Proxy-Authorization'), ...PAYLOAD_VERDICTS.drop]],
    },
    expected: { exit: 0, results: [null] },
  });
  const wrong = (u: string) => u.replace(/:(s3cret|hunter2)@/, ':wrong-password@');
  for (const kind of ['httpAuth', 'socksAuth'] as const) {
    out.push({
      group: 'credentials',
      name: `${kind === 'httpAuth' ? 'http' : 'socks'} hop 1, wrong password (no firewall)`,
      chain: [wrong(url[kind])],
      targets: [target],
      rules: {},
      expected: { exit: 2, results: [{ from: null, to: 0, cause: 'credentials-rejected' }] },
    });
  }

  // --- protocol inspection (DPI / IPS) ---------------------------------------------------
  for (const v of Object.keys(PAYLOAD_VERDICTS) as PayloadVerdict[]) {
    const verdict = PAYLOAD_VERDICTS[v];
    const at1 = (cause: string) => ({ exit: 2, results: [{ from: null, to: 0, cause }] });
    const at2 = (cause: string) => ({ exit: 2, results: [{ from: 0, to: 1, cause }] });
    out.push({
      group: 'inspection',
      name: `socks hop 1, SOCKS5 messages (first byte 0x05) ${v}`,
      chain: [url.socks],
      targets: [target],
      rules: {
        iptables: [['-p', 'tcp', '--dport', `${p.danteOpen}`, ...uid(0), ...firstByte(0x05), ...verdict]],
      },
      expected: at1('protocol-blocked'),
    });
    out.push({
      group: 'inspection',
      name: `http hop 1, "CONNECT " requests ${v}`,
      chain: [url.http],
      targets: [target],
      rules: {
        iptables: [['-p', 'tcp', '--dport', `${p.squidOpen}`, ...uid(0), ...carries('CONNECT '), ...verdict]],
      },
      expected: at1('protocol-blocked'),
    });
    out.push({
      group: 'inspection',
      name: `https hop 1, TLS ClientHello (first byte 0x16) ${v}`,
      chain: [url.https],
      targets: [target],
      rules: {
        iptables: [['-p', 'tcp', '--dport', `${p.stunnelOpen}`, ...uid(0), ...firstByte(0x16), ...verdict]],
      },
      expected: at1('tls-blocked'),
    });
    out.push({
      group: 'inspection',
      name: `http hop 1 → socks hop 2, SOCKS5 messages ${v}`,
      chain: [url.http, url.socks],
      targets: [target],
      rules: {
        iptables: [
          ['-p', 'tcp', '--dport', `${p.danteOpen}`, ...uid(lab.users.squid), ...firstByte(0x05), ...verdict],
        ],
      },
      expected: at2('protocol-blocked'),
    });
    out.push({
      group: 'inspection',
      name: `socks hop 1 → http hop 2, "CONNECT " requests ${v}`,
      chain: [url.socks, url.http],
      targets: [target],
      rules: {
        iptables: [
          [
            '-p',
            'tcp',
            '--dport',
            `${p.squidOpen}`,
            ...uid(lab.users.dante),
            ...carries('CONNECT '),
            ...verdict,
          ],
        ],
      },
      expected: at2('protocol-blocked'),
    });
    out.push({
      group: 'inspection',
      name: `http hop 1 → https hop 2, TLS ClientHello ${v}`,
      chain: [url.http, url.https],
      targets: [target],
      rules: {
        iptables: [
          [
            '-p',
            'tcp',
            '--dport',
            `${p.stunnelOpen}`,
            ...uid(lab.users.squid),
            ...firstByte(0x16),
            ...verdict,
          ],
        ],
      },
      expected: at2('tls-blocked'),
    });
  }
  // A ClientHello filtered by the name it asks for (SNI): the hop is named `localhost` so that
  // the hello carries it (no SNI is sent for an IP address).
  out.push({
    group: 'inspection',
    name: 'https hop 1, TLS ClientHello with SNI "localhost" dropped',
    chain: [`https://localhost:${p.stunnelOpen}`],
    targets: [target],
    rules: {
      iptables: [
        [
          '-p',
          'tcp',
          '--dport',
          `${p.stunnelOpen}`,
          ...uid(0),
          ...firstByte(0x16),
          ...carries('localhost'),
          '-j',
          'DROP',
        ],
      ],
    },
    expected: { exit: 2, results: [{ from: null, to: 0, cause: 'tls-blocked' }] },
  });
  out.push({
    group: 'inspection',
    name: 'https hop 1 by IP address (no SNI), the same SNI rule: passes',
    chain: [url.https],
    targets: [target],
    rules: {
      iptables: [
        [
          '-p',
          'tcp',
          '--dport',
          `${p.stunnelOpen}`,
          ...uid(0),
          ...firstByte(0x16),
          ...carries('localhost'),
          '-j',
          'DROP',
        ],
      ],
    },
    expected: { exit: 0, results: [null] },
  });
  out.push({
    group: 'inspection',
    name: 'https hop 1, "CONNECT " dropped anywhere: TLS hides it (remedy)',
    chain: [url.https],
    targets: [target],
    rules: { iptables: [['-p', 'tcp', ...uid(0), ...carries('CONNECT '), ...PAYLOAD_VERDICTS.drop]] },
    expected: { exit: 0, results: [null] },
  });

  // --- TLS interception (mitmdump, reached by a nat redirect) -------------------------------
  const redirect = (who: string | number, dport: number) =>
    `meta skuid ${who} tcp dport ${dport} redirect to :${p.mitm}`;
  out.push({
    group: 'tls',
    name: 'https hop 1 behind a re-signing TLS interceptor',
    chain: [url.https],
    targets: [target],
    rules: { nat: [redirect(0, p.stunnelOpen)] },
    expected: { exit: 2, results: [{ from: null, to: 0, cause: 'tls-intercepted' }] },
  });
  const appCheck = ['--app-check', '--expect-issuer', 'sockschain lab'];
  out.push({
    group: 'tls',
    name: 'https target behind a re-signing TLS interceptor beyond the last hop (--app-check --expect-issuer)',
    chain: [url.http],
    targets: [httpsTarget],
    args: appCheck,
    rules: { nat: [redirect(lab.users.squid, p.originHttps)] },
    expected: { exit: 1, results: [{ from: 0, to: null, cause: 'tls-intercepted' }] },
  });
  out.push({
    group: 'tls',
    name: 'https target, no interceptor: the issuer is the expected one',
    chain: [url.http],
    targets: [httpsTarget],
    args: appCheck,
    rules: {},
    expected: { exit: 0, results: [null] },
  });

  // --- egress allow-lists ------------------------------------------------------------------
  // Only ports in a range are filtered: replies leave from the proxies' sockets too, to the
  // client's ephemeral ports, and must pass. Beyond the last hop the range is the origin's
  // ports (a proxy's connection to its own address stays on the host, past any egress filter);
  // from this machine it covers every proxy port.
  const originRange = `tcp dport ${p.originHttp}-${p.denied}`;
  const range = `tcp dport ${p.originHttp}-${p.mitm}`;
  out.push({
    group: 'allow-list',
    name: 'the last hop may only reach the https port: probe --ports shows which one works',
    chain: [url.http],
    targets: [h],
    args: ['--ports', `${p.originHttp},${p.originHttps},${p.banner}`],
    rules: { filter: [`meta skuid ${lab.users.squid} ${originRange} tcp dport != ${p.originHttps} drop`] },
    expected: {
      exit: 1,
      results: [
        { from: 0, to: null, cause: 'target-filtered' },
        null,
        { from: 0, to: null, cause: 'target-filtered' },
      ],
    },
  });
  for (const kind of ['http', 'https'] as const) {
    out.push({
      group: 'allow-list',
      name: `this machine may only reach the https hop's port; ${kind} hop 1`,
      chain: [url[kind]],
      targets: [target],
      rules: { filter: [`${CLIENT} ${range} tcp dport != ${p.stunnelOpen} drop`] },
      expected:
        kind === 'https'
          ? { exit: 0, results: [null] }
          : { exit: 2, results: [{ from: null, to: 0, cause: 'filtered' }] },
    });
  }
  return out;
}

function uid(user: string | number): string[] {
  return ['-m', 'owner', '--uid-owner', String(user)];
}
