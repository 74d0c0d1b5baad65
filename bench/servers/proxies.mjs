// Child process: bench proxies, one listener per entry of spec.proxies
// ({ kind: 'socks5' | 'http', auth?: { username, password } }), in this one event loop.
import { httpConnectHandler } from './http-connect.mjs';
import { listen, serveChild, tcpServer } from './serve-child.mjs';
import { socks5Handler } from './socks5.mjs';

await serveChild(async ({ proxies }) => {
  const ports = [];
  for (const { kind, auth } of proxies) {
    const handler = kind === 'socks5' ? socks5Handler(auth) : httpConnectHandler(auth);
    ports.push(await listen(tcpServer(handler)));
  }
  return ports;
});
