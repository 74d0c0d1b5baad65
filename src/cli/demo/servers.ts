/**
 * Everything `sockschain demo` runs, in this process, on 127.0.0.1 (ephemeral ports): a web
 * page and three proxies, each a `startProxyServer` listener connecting straight out:
 * HTTP CONNECT with Basic auth, SOCKS5 with user/password, and an HTTP proxy behind TLS
 * (an HTTPS proxy). Each proxy's own log of the tunnels it carried is kept for display.
 */
import { connectDirect } from '../../dial/direct.js';
import type { ConnectionRecord } from '../../server/log.js';
import { type ProxyServer, startProxyServer } from '../../server/proxy-server.js';
import { demoTls } from './cert.js';
import { type DemoOrigin, startOrigin } from './origin.js';
import { startTlsFront, type TlsFront } from './tls-front.js';

/** Throwaway credentials of the demo's own proxies; the demo never prints them. */
export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo-only-Secret-4c1f';

export interface DemoHop {
  /** The hop URL with its password: for the demo's own chain, never printed. */
  url: string;
  what: string;
  /** What this proxy logged, one record per tunnel it carried. */
  records: ConnectionRecord[];
}

export interface DemoSetup {
  origin: DemoOrigin;
  hops: DemoHop[];
  /** The certificate the HTTPS proxy presents: the demo chain's `ca`. */
  ca: string;
  close(): Promise<void>;
}

export async function startDemo(): Promise<DemoSetup> {
  const tls = demoTls();
  const auth = { username: DEMO_USER, password: DEMO_PASSWORD };
  const connect = (target: { host: string; port: number }, options: { signal: AbortSignal }) =>
    connectDirect(target, { signal: options.signal, timeoutMs: 5000 });
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    await Promise.all(closers.splice(0).map((stop) => stop()));
  };
  try {
    const origin = await startOrigin();
    closers.push(() => origin.close());
    const proxy = async (listen: string, withAuth: boolean): Promise<[ProxyServer, ConnectionRecord[]]> => {
      const records: ConnectionRecord[] = [];
      const server = await startProxyServer({
        listen,
        connect,
        auth: withAuth ? auth : undefined,
        onConnection: (record) => records.push(record),
      });
      closers.push(() => server.close({ drainTimeoutMs: 0 }));
      return [server, records];
    };
    const [http, httpLog] = await proxy('http://127.0.0.1:0', true);
    const [socks, socksLog] = await proxy('socks5://127.0.0.1:0', true);
    const [inner, innerLog] = await proxy('http://127.0.0.1:0', false);
    const front: TlsFront = await startTlsFront(tls, port(inner));
    closers.push(() => front.close());
    const userinfo = `${DEMO_USER}:${encodeURIComponent(DEMO_PASSWORD)}@`;
    return {
      origin,
      ca: tls.cert,
      close,
      hops: [
        {
          url: `http://${userinfo}127.0.0.1:${port(http)}`,
          what: 'HTTP CONNECT proxy, Basic auth',
          records: httpLog,
        },
        {
          url: `socks5://${userinfo}127.0.0.1:${port(socks)}`,
          what: 'SOCKS5 proxy, user/password',
          records: socksLog,
        },
        {
          url: `https://127.0.0.1:${front.port}`,
          what: 'HTTPS proxy: TLS to the proxy, with a demo certificate',
          records: innerLog,
        },
      ],
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function port(server: ProxyServer): number {
  const [address] = server.address();
  if (!address) throw new Error('the demo proxy did not bind');
  return address.port;
}
