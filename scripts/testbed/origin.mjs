#!/usr/bin/env node
// Test-bed origins, all on 127.0.0.1:
//   HTTP origin, HTTPS origin (cert from the test bed's CA), a "speaks-first" banner server
//   ('220 testbed ready\r\n', then echo), and the "denied target": a live HTTP server that
//   proxies are configured to refuse, so a 200 from it means a proxy let the request through.
// Any path answers 200 with a small JSON body describing the request; /bytes/N answers N bytes.
// Usage: node origin.mjs HTTP_PORT HTTPS_PORT BANNER_PORT DENIED_PORT CERT KEY
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const [httpPort, httpsPort, bannerPort, deniedPort] = process.argv.slice(2, 6).map(Number);
const [certPath, keyPath] = process.argv.slice(6, 8);
if (![httpPort, httpsPort, bannerPort, deniedPort].every((p) => p > 0) || !certPath || !keyPath) {
  console.error('usage: origin.mjs HTTP_PORT HTTPS_PORT BANNER_PORT DENIED_PORT CERT KEY');
  process.exit(2);
}
const HOST = '127.0.0.1';
const MAX_BYTES = 1024 ** 3;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function handler(name) {
  return (req, res) => {
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      let left = Math.min(Number(m[1]), MAX_BYTES);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = `${JSON.stringify({ origin: name, method: req.method, url: req.url, headers: req.headers })}\n`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

function listen(server, port, name) {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`${name} on ${HOST}:${port}: ${err.message}`)));
    server.listen(port, HOST, () => resolve());
  });
}

const tlsOptions = { cert: readFileSync(certPath), key: readFileSync(keyPath) };
const servers = [
  [http.createServer(handler('http')), httpPort, 'http'],
  [https.createServer(tlsOptions, handler('https')), httpsPort, 'https'],
  [
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write('220 testbed ready\r\n');
      socket.pipe(socket);
    }),
    bannerPort,
    'banner',
  ],
  [http.createServer(handler('denied-target-reached')), deniedPort, 'denied'],
];

try {
  await Promise.all(servers.map(([server, port, name]) => listen(server, port, name)));
} catch (err) {
  console.error(`origin: ${err.message}`);
  process.exit(1);
}
console.log(
  `origin: listening http=${httpPort} https=${httpsPort} banner=${bannerPort} denied=${deniedPort}`,
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
