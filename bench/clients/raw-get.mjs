// A node client for running under proxychains4 in the throughput benchmark: GET over a plain
// socket (the read loop chain.connect's caller runs), bytes counted until the close; prints
// { bytes, ms }. Usage: node raw-get.mjs URL
import { directSocket, rawGet } from '../lib/transfer.mjs';

const url = new URL(process.argv[2]);
const started = performance.now();
const bytes = await rawGet(await directSocket(url), url);
process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - started })}\n`);
