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
// Pipelined setup: once a hop is reached, its requests and those of the following hops are
// written at once, and the last reply comes back after one round trip to the last hop of that
// run. A run ends before an https:// hop (TLS is interactive) and after an HTTP hop: only a
// SOCKS hop relays the next hop's bytes (src/dial/pipeline.ts: an HTTP proxy may keep the
// connection after refusing, and would read the next hop's CONNECT as a request of its own).
//
// `proxyTcp`: a proxy's own TCP handshake with the next hop also crosses a link (2·d per hop
// after the first). The delay relays accept connections locally, so the bench does not pay it
// (proxyTcp: false, the default); a real network does.
//
// A term is { label, trips, to }: `trips` round trips to hop index `to` (0-based); 'link'
// terms are one round trip over a single link (TCP handshakes).

export function handshakeRounds(hop) {
  if (hop.protocol === 'socks5') return hop.auth ? 3 : 2;
  return 1;
}

function isHttp(hop) {
  return hop.protocol === 'http' || hop.protocol === 'https';
}

function tlsRounds(hop) {
  return hop.protocol === 'https' ? 1 : 0;
}

/** Sequential setup, term by term. */
export function sequentialTerms(hops, { proxyTcp = false } = {}) {
  const terms = [{ label: 'TCP to hop 1', trips: 1, to: 'link' }];
  hops.forEach((hop, index) => {
    const trips = tlsRounds(hop) + handshakeRounds(hop);
    terms.push({ label: `hop ${index + 1}: ${trips} round trip(s)`, trips, to: index });
    if (proxyTcp && index < hops.length - 1)
      terms.push({ label: `hop ${index + 1}'s TCP to hop ${index + 2}`, trips: 1, to: 'link' });
  });
  return terms;
}

/** Pipelined setup (runs broken before https:// hops), term by term. */
export function pipelinedTerms(hops, { proxyTcp = false } = {}) {
  const terms = [{ label: 'TCP to hop 1', trips: 1, to: 'link' }];
  let start = 0;
  while (start < hops.length) {
    let end = start;
    while (end + 1 < hops.length && hops[end + 1].protocol !== 'https' && !isHttp(hops[end])) end++;
    if (tlsRounds(hops[start])) terms.push({ label: `TLS with hop ${start + 1}`, trips: 1, to: start });
    terms.push({ label: `hops ${start + 1}–${end + 1}: one round trip`, trips: 1, to: end });
    if (proxyTcp && end > start)
      terms.push({ label: `TCP of hops ${start + 2}–${end + 1}`, trips: end - start, to: 'link' });
    start = end + 1;
  }
  return terms;
}

/** A term's length in units of d (one link, one way). */
export function termUnits(term) {
  return term.trips * 2 * (term.to === 'link' ? 1 : term.to + 1);
}

/**
 * The minimum setup time in ms over links of `delayMs` each way. With `rttMs` (measured round
 * trips to hop 1, 2, … through this very bed) those replace the nominal 2·k·d, so the bed's
 * own cost per crossing (relays, proxies) is in the minimum too.
 */
export function minimumMs(hops, delayMs, { pipelined = false, proxyTcp = false, rttMs } = {}) {
  const terms = pipelined ? pipelinedTerms(hops, { proxyTcp }) : sequentialTerms(hops, { proxyTcp });
  return terms.reduce((sum, term) => {
    const measured = term.to !== 'link' ? rttMs?.[term.to] : undefined;
    return sum + (measured === undefined ? termUnits(term) * delayMs : term.trips * measured);
  }, 0);
}

/** "2d + 3×2d + 3×4d = 20d": the arithmetic, for the docs. */
export function formula(terms) {
  const total = terms.reduce((sum, term) => sum + termUnits(term), 0);
  const text = (term) => {
    const one = termUnits(term) / term.trips;
    return term.trips > 1 ? `${term.trips}×${one}d` : `${one}d`;
  };
  return `${terms.map(text).join(' + ')} = ${total}d`;
}
