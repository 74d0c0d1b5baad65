// A node client for running under proxychains4 in the throughput benchmark, with no proxy
// code of its own: GET over a plain socket (`socket`, the read loop a chain.connect caller
// runs), node:http (`http`) or undici (`undici`); prints { bytes, ms }.
// Usage: node raw-get.mjs socket|http|undici URL
import http from 'node:http';
import { Agent } from 'undici';
import { agentGet, directSocket, dispatcherGet, rawGet } from '../lib/transfer.mjs';

const [mode, href] = process.argv.slice(2);
const url = new URL(href);
const get = {
  socket: async () => rawGet(await directSocket(url), url),
  http: () => agentGet(url, new http.Agent()),
  undici: () => dispatcherGet(url, new Agent()),
}[mode];
const started = performance.now();
const bytes = await get();
process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - started })}\n`);
process.exit(0);
