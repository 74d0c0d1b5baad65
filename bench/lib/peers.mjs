// Ways to open one raw tunnel: sockschain and the peers it is compared with. Each opener
// resolves with a connected socket (the proxy said yes), which the caller owns.
import { EventEmitter } from 'node:events';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksClient } from 'socks';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { Chain } from '../../dist/index.js';

/** A hop as the benches describe it: { protocol, host, port, auth?: { username, password } }. */
export function hopUrl(hop) {
  const creds = hop.auth
    ? `${encodeURIComponent(hop.auth.username)}:${encodeURIComponent(hop.auth.password)}@`
    : '';
  return `${hop.protocol}://${creds}${hop.host}:${hop.port}`;
}

/**
 * Whether `pipeline: true` changes anything on this chain: it writes a SOCKS hop's messages,
 * and the next hops' behind a SOCKS hop, together; an HTTP hop's CONNECT is one message and
 * no hop's bytes ride behind it (src/dial/pipeline.ts). And every hop must take early bytes
 * (`pipelining: false` marks one that does not, like microsocks).
 */
export function pipelines(hops) {
  return (
    hops.some((hop) => hop.protocol.startsWith('socks')) && hops.every((hop) => hop.pipelining !== false)
  );
}

export function sockschain(hops, options = {}) {
  const chain = new Chain(hops.map(hopUrl), options);
  return { open: (target) => chain.connect(target), close: () => chain.close(), chain };
}

/** `socks`: createConnection for one hop, createConnectionChain for more (SOCKS hops only). */
export function socksPackage(hops) {
  const proxies = hops.map((hop) => ({
    host: hop.host,
    port: hop.port,
    type: hop.protocol === 'socks5' ? 5 : 4,
    ...(hop.auth ? { userId: hop.auth.username, password: hop.auth.password } : {}),
  }));
  const open = async (target) => {
    const destination = { host: target.host, port: target.port };
    const { socket } =
      proxies.length === 1
        ? await SocksClient.createConnection({ proxy: proxies[0], command: 'connect', destination })
        : await SocksClient.createConnectionChain({ proxies, command: 'connect', destination });
    return socket;
  };
  return { open, close() {} };
}

/**
 * A single-hop agent's tunnel, as its connect() opens it for a request (agent-base calls
 * connect(req, opts); the request object only receives events here).
 */
function agentTunnel(agent) {
  const open = (target) =>
    agent.connect(new EventEmitter(), { host: target.host, port: target.port, secureEndpoint: false });
  return { open, close: () => agent.destroy() };
}

export function httpsProxyAgent(hop) {
  return agentTunnel(new HttpsProxyAgent(hopUrl(hop)));
}

export function socksProxyAgent(hop) {
  return agentTunnel(new SocksProxyAgent(hopUrl(hop)));
}
