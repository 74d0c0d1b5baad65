#!/usr/bin/env node
// Raw protocol probe for the test bed: prints exactly what a proxy answers, byte for byte.
//   node probe.mjs connect PROXY_PORT HOST PORT [USER:PASS] [--tls CA_FILE]   HTTP CONNECT
//   node probe.mjs socks5  PROXY_PORT HOST PORT [USER:PASS]                   SOCKS5
//   node probe.mjs socks4  PROXY_PORT HOST PORT [USERID]                      SOCKS4 (4a for a name)
// The proxy is always 127.0.0.1. After a successful tunnel it prints the first bytes the
// target sends within 300 ms (the banner server speaks first). Exit code 0 = tunnel open.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const args = process.argv.slice(2);
const tlsIdx = args.indexOf('--tls');
const ca = tlsIdx >= 0 ? readFileSync(args.splice(tlsIdx, 2)[1]) : undefined;
const [mode, proxyPort, host, port, cred] = args;
if (!['connect', 'socks5', 'socks4'].includes(mode) || !proxyPort || !host || !port) {
  console.error('usage: probe.mjs connect|socks5|socks4 PROXY_PORT HOST PORT [CRED] [--tls CA]');
  process.exit(2);
}

const sock = ca
  ? tls.connect({ host: '127.0.0.1', port: Number(proxyPort), ca, servername: 'localhost' })
  : net.connect({ host: '127.0.0.1', port: Number(proxyPort) });
let buf = Buffer.alloc(0);
let waiter = null;
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (waiter) waiter();
});
sock.on('error', (err) => {
  console.log(`socket error: ${err.code ?? err.message}`);
  process.exit(1);
});
sock.on('close', () => {
  if (waiter) waiter();
});

let ended = false;
sock.on('end', () => {
  ended = true;
});
// Resolves with up to n buffered bytes once n bytes arrived, the peer closed, or ms passed.
function read(n, ms = 3000) {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      waiter = null;
      const out = buf.subarray(0, n);
      buf = buf.subarray(out.length);
      resolve(out);
    };
    const timer = setTimeout(finish, ms);
    waiter = () => {
      if (buf.length >= n || ended || sock.destroyed) finish();
    };
    waiter();
  });
}
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const isIPv4 = (h) => net.isIPv4(h);

async function afterTunnel() {
  const first = await read(64, 300);
  console.log(`tunnel open; first bytes from target: ${JSON.stringify(first.toString('latin1'))}`);
  sock.destroy();
  process.exit(0);
}

async function httpConnect() {
  await new Promise((r) => sock.once(ca ? 'secureConnect' : 'connect', r));
  let req = `CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n`;
  if (cred) req += `Proxy-Authorization: Basic ${Buffer.from(cred).toString('base64')}\r\n`;
  sock.write(`${req}\r\n`);
  const deadline = Date.now() + 5000;
  while (!buf.includes('\r\n\r\n') && Date.now() < deadline && !ended) {
    const chunk = await read(1e9, 100);
    buf = Buffer.concat([chunk, buf]);
  }
  const end = buf.indexOf('\r\n\r\n');
  const head = (end >= 0 ? buf.subarray(0, end) : buf).toString('latin1').split('\r\n');
  buf = end >= 0 ? buf.subarray(end + 4) : Buffer.alloc(0);
  console.log(`status: ${head[0]}`);
  for (const h of head.slice(1)) if (/^proxy-authenticate:/i.test(h)) console.log(`  ${h}`);
  if (/^HTTP\/1\.[01] 200/.test(head[0])) await afterTunnel();
  process.exit(1);
}

async function socks5() {
  await new Promise((r) => sock.once('connect', r));
  sock.write(Buffer.from(cred ? [5, 2, 0, 2] : [5, 1, 0]));
  const m = await read(2);
  console.log(`method reply: ${hex(m)}`);
  if (m.length < 2) process.exit(1);
  if (m[1] === 2) {
    const [u, p] = (cred ?? ':').split(':');
    sock.write(
      Buffer.concat([Buffer.from([1, u.length]), Buffer.from(u), Buffer.from([p.length]), Buffer.from(p)]),
    );
    const a = await read(2);
    console.log(`auth reply: ${hex(a)}`);
    if (a.length < 2 || a[1] !== 0) process.exit(1);
  } else if (m[1] !== 0) process.exit(1);
  const addr = isIPv4(host)
    ? Buffer.from([1, ...host.split('.').map(Number)])
    : Buffer.concat([Buffer.from([3, host.length]), Buffer.from(host)]);
  const p = Buffer.alloc(2);
  p.writeUInt16BE(Number(port));
  sock.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, p]));
  const r = await read(10, 5000);
  console.log(
    `connect reply: ${hex(r)}${r.length ? ` (REP=0x${r[1]?.toString(16).padStart(2, '0')})` : ' (closed)'}`,
  );
  if (r[1] === 0) await afterTunnel();
  process.exit(1);
}

async function socks4() {
  await new Promise((r) => sock.once('connect', r));
  const p = Buffer.alloc(2);
  p.writeUInt16BE(Number(port));
  const ip = isIPv4(host) ? host.split('.').map(Number) : [0, 0, 0, 1];
  const parts = [Buffer.from([4, 1]), p, Buffer.from(ip), Buffer.from(cred ?? ''), Buffer.from([0])];
  if (!isIPv4(host)) parts.push(Buffer.from(host), Buffer.from([0]));
  sock.write(Buffer.concat(parts));
  const r = await read(8, 5000);
  console.log(`socks4 reply: ${hex(r)}${r.length ? ` (CD=${r[1]})` : ' (closed)'}`);
  if (r[1] === 90) await afterTunnel();
  process.exit(1);
}

await { connect: httpConnect, socks5, socks4 }[mode]();
