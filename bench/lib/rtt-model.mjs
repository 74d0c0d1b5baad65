// The fewest round trips a chain setup can take, as arithmetic (the latency benchmark prints
// these as its "minimum" columns, and docs/performance.md explains them).
//
// A hop is { protocol: 'http' | 'https' | 'socks4' | 'socks4a' | 'socks5', auth: boolean }.
// Links: client→hop 1, hop 1→hop 2, …, each delaying every byte by d ms each way, so a round
// trip to hop k crosses k links twice: 2·k·d. The last hop's own connection to the target is
// not on a delayed link.
//
// Sequential setup: the TCP handshake with hop 1 (one round trip), then for each hop k its TLS
// handshake (https://, TLS 1.3: one round trip) and its proxy handshake, every message waiting
// for the previous reply:
//   HTTP CONNECT: 1 (Basic credentials ride on the request), SOCKS4/4a: 1,
//   SOCKS5: 2 (method choice, CONNECT), SOCKS5 with user/password: 3 (+ RFC 1929 auth).
// Pipelined setup: once a hop is reached, the requests of every following hop up to the next
// https:// hop are written at once, and the last reply comes back after one round trip to the
// last hop of that run.
//
// `proxyTcp`: a proxy's own TCP handshake with the next hop also crosses a link (2·d per hop
// after the first). The delay relays accept connections locally, so the bench does not pay it
// (proxyTcp: false, the default); a real network does.

export function handshakeRounds(hop) {
  if (hop.protocol === 'socks5') return hop.auth ? 3 : 2;
  return 1;
}

function tlsRounds(hop) {
  return hop.protocol === 'https' ? 1 : 0;
}

/** Round trip to hop k (0-based index), in units of d. */
function rtt(index) {
  return 2 * (index + 1);
}

/** Sequential setup, as a list of [label, units of d] terms. */
export function sequentialTerms(hops, { proxyTcp = false } = {}) {
  const terms = [['TCP to hop 1', 2]];
  hops.forEach((hop, index) => {
    const rounds = tlsRounds(hop) + handshakeRounds(hop);
    terms.push([`hop ${index + 1}: ${rounds} × ${rtt(index)}d`, rounds * rtt(index)]);
    if (proxyTcp && index < hops.length - 1) terms.push([`hop ${index + 1} TCP to hop ${index + 2}`, 2]);
  });
  return terms;
}

/** Pipelined setup (runs broken before https:// hops), as [label, units of d] terms. */
export function pipelinedTerms(hops, { proxyTcp = false } = {}) {
  const terms = [['TCP to hop 1', 2]];
  let start = 0;
  while (start < hops.length) {
    let end = start;
    while (end + 1 < hops.length && hops[end + 1].protocol !== 'https') end++;
    if (tlsRounds(hops[start])) terms.push([`TLS with hop ${start + 1}`, rtt(start)]);
    terms.push([`hops ${start + 1}–${end + 1} in one round trip to hop ${end + 1}`, rtt(end)]);
    if (proxyTcp) terms.push([`TCP handshakes of hops ${start + 1}–${end}`, 2 * (end - start)]);
    start = end + 1;
  }
  return terms;
}

export function units(terms) {
  return terms.reduce((sum, [, n]) => sum + n, 0);
}

/** The minimum setup time in ms over links of `delayMs` each way. */
export function minimumMs(hops, delayMs, { pipelined = false, proxyTcp = false } = {}) {
  const terms = pipelined ? pipelinedTerms(hops, { proxyTcp }) : sequentialTerms(hops, { proxyTcp });
  return units(terms) * delayMs;
}

/** "2d + 6d + 12d = 20d": the arithmetic, for the docs. */
export function formula(terms) {
  return `${terms.map(([, n]) => `${n}d`).join(' + ')} = ${units(terms)}d`;
}
