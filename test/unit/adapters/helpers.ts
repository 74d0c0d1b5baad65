/**
 * Shared setup for the adapter tests: two 2-hop mixed chains with credentials, http and
 * https origins, and small servers the fixtures lack (WebSocket, TLS banner, a relay whose
 * connections can be killed, an https origin that reports the SNI it received).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocketServer } from 'ws';
import {
  certs,
  type Fixture,
  listen,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
  trackedSockets,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';

export interface Env {
  /** Proxies by scheme, all with credentials (SOCKS4 with a user id). */
  http: Fixture;
  https: Fixture;
  socks5: Fixture;
  socks4: Fixture;
  /** Plain and TLS (certs.localhost) origins. */
  origin: Fixture;
  secureOrigin: Fixture;
  /** Hop URLs with percent-encoded credentials. */
  hops: { http: string; https: string; socks5: string; socks4a: string };
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const auth = { username: USER, password: SECRET };
  const creds = { user: USER, pass: SECRET };
  const [httpProxy, httpsProxy, socks5, socks4, origin, secureOrigin] = await Promise.all([
    startHttpProxy({ auth }),
    startHttpProxy({ auth, tls: certs.localhost }),
    startSocksServer({ versions: [5], auth }),
    startSocksServer({ versions: [4], userId: 'bob' }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
  ]);
  const all = [httpProxy, httpsProxy, socks5, socks4, origin, secureOrigin];
  return {
    http: httpProxy,
    https: httpsProxy,
    socks5,
    socks4,
    origin,
    secureOrigin,
    hops: {
      http: hopUrl('http', httpProxy, creds),
      // By name, so the proxy's certificate (localhost) is checked against its own name.
      https: hopUrl('https', { host: 'localhost', port: httpsProxy.port }, creds),
      socks5: hopUrl('socks5', socks5, creds),
      socks4a: hopUrl('socks4a', socks4, { user: 'bob' }),
    },
    close: async () => {
      await Promise.all(all.map((f) => f.close()));
    },
  };
}

/**
 * The two 2-hop mixed chains every client is run over: one ending in an HTTP proxy (plain
 * http:// goes there in absolute-form), one ending in SOCKS5 (everything is tunnelled).
 */
export function mixedChains(env: Env): Array<{ name: string; hops: string[]; absolute: boolean }> {
  return [
    { name: 'socks5 -> http', hops: [env.hops.socks5, env.hops.http], absolute: true },
    { name: 'https -> socks5', hops: [env.hops.https, env.hops.socks5], absolute: false },
  ];
}

export interface Reply {
  status: number;
  body: string;
}

/** GET with node:http or node:https; resolves with status and body. */
export function get(url: string, options: https.RequestOptions = {}): Promise<Reply> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    client
      .get(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** What the JSON route of startHttpOrigin reports. */
export interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** A TCP relay in front of a port: counts connections, and can cut them all (a hop dying). */
export async function startRelay(port: number): Promise<Fixture & { cut(): void }> {
  const links = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      links.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        links.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const tracker = trackedSockets(server);
  const listenPort = await listen(server);
  return {
    host: '127.0.0.1',
    port: listenPort,
    url: `tcp://127.0.0.1:${listenPort}`,
    log: [],
    get connections() {
      return tracker.accepted;
    },
    open: tracker.open,
    close: async () => {
      for (const socket of links) socket.destroy();
      await tracker.close();
    },
    cut: () => {
      for (const socket of links) socket.destroy();
    },
  };
}

/** A WebSocket echo server (wss:// with certs.localhost when `secure`); it greets first when `greet`. */
export async function startWsServer(secure: boolean, greet = true): Promise<Fixture> {
  const server = secure ? https.createServer(certs.localhost) : http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.on('message', (data, binary) => socket.send(binary ? data : `echo ${String(data)}`));
    if (greet) socket.send(`hello ${req.headers['proxy-authorization'] === undefined ? 'clean' : 'LEAKED'}`);
  });
  const tracker = trackedSockets(server);
  const port = await listen(server);
  return {
    host: '127.0.0.1',
    port,
    url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    log: [],
    get connections() {
      return tracker.accepted;
    },
    open: tracker.open,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await tracker.close();
    },
  };
}

/**
 * An SMTP-like server behind implicit TLS (as on port 465): the banner comes first, then
 * each line is answered with '250 <line>'.
 */
export async function startTlsBannerServer(): Promise<Fixture> {
  const server = tls.createServer(certs.localhost, (socket) => {
    socket.write('220 secure ESMTP ready\r\n');
    socket.setEncoding('utf8');
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        socket.write(`250 ${pending.slice(0, end).replace(/\r$/, '')}\r\n`);
        pending = pending.slice(end + 1);
      }
    });
  });
  const tracker = trackedSockets(server);
  const port = await listen(server);
  return {
    host: '127.0.0.1',
    port,
    url: `tls://127.0.0.1:${port}`,
    log: [],
    get connections() {
      return tracker.accepted;
    },
    open: tracker.open,
    close: tracker.close,
  };
}

/** An https origin (certs.localhost) that answers with the SNI name the client sent. */
export async function startSniOrigin(): Promise<Fixture> {
  const server = https.createServer(certs.localhost, (req, res) => {
    res.end(JSON.stringify({ servername: (req.socket as tls.TLSSocket).servername || null }));
  });
  const tracker = trackedSockets(server);
  const port = await listen(server);
  return {
    host: '127.0.0.1',
    port,
    url: `https://127.0.0.1:${port}`,
    log: [],
    get connections() {
      return tracker.accepted;
    },
    open: tracker.open,
    close: tracker.close,
  };
}
