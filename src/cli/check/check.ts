/** `sockschain check [FILE|URL...]`: health-check a list of proxies, fastest working first. */
import { readFileSync } from 'node:fs';
import type { Chain } from '../../chain/chain.js';
import { parseTarget } from '../../target.js';
import { chainFromArgs, parseDuration } from '../chain-args.js';
import { mapLimit, parseCommandLine, positiveInt, readCa, runCommand } from '../command.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle } from '../output/style.js';
import { proxiesFromPac } from './pac.js';
import { createProgress } from './progress.js';
import { readProxyList } from './proxy-list.js';
import { renderCheckTable, renderCsv } from './render.js';
import { byLatency, checkProxy } from './run.js';

export const USAGE = `Usage: sockschain check [options] [FILE|URL...]

Checks each proxy on its own (as a one-hop chain, or after the --via hops): does it accept
a connection, speak the protocol of its URL, take the credentials, and how fast.

FILE: one proxy URL a line, # comments; or a proxychains.conf ([ProxyList]); - is stdin
(also read when no argument is given and stdin is not a terminal).

Options:
      --target HOST:PORT   also require a tunnel to this target (else the proxy is asked
                           for a tunnel to its own address, and any answer in its protocol counts)
      --via URLS           reach every proxy through these hops first (comma separated; repeatable)
      --pac FILE|URL       also check every proxy this PAC file names for --target
      --timeout MS         per proxy (e.g. 3000, 3s); default 5s
      --concurrency N      check N proxies at a time (default 16)
      --ca FILE            also trust these PEM certificates for https:// proxies
      --json               print JSON (schema 1, see docs/cli.md)
      --csv                print CSV with a header line
      --alive-only         print only the working proxy URLs, fastest first, one a line
  -h, --help               show this help

A progress bar is shown on stderr when it is a terminal.

Exit status: 0 every proxy works; 1 some do not; 2 none works; 64 usage error.
`;

const OPTIONS = {
  target: { type: 'string' },
  via: { type: 'string', multiple: true },
  pac: { type: 'string' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  'alive-only': { type: 'boolean' },
} as const;

export function run(argv: string[], io: CliIo, stdin: () => string = readStdin): Promise<number> {
  return runCommand('check', USAGE, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    const formats = (['json', 'csv', 'alive-only'] as const).filter((name) => values[name]);
    if (formats.length > 1) throw new UsageError(`choose one of --${formats.join(', --')}`);
    const fromStdin = values.pac === undefined && !process.stdin.isTTY;
    const sources = positionals.length > 0 ? positionals : fromStdin ? ['-'] : [];
    const target = values.target === undefined ? undefined : parseTarget(values.target);
    // With --pac alone, the PAC file is the list.
    const proxies = values.pac !== undefined && sources.length === 0 ? [] : readProxyList(sources, stdin);
    if (values.pac !== undefined) proxies.push(...(await proxiesFromPac(values.pac, target)));
    const timeoutMs = values.timeout === undefined ? 5000 : parseDuration(values.timeout, '--timeout');
    const concurrency = positiveInt(values.concurrency, '--concurrency', 16);
    const ca = readCa(values.ca);
    const via: Chain | undefined =
      values.via === undefined ? undefined : chainFromArgs({ chain: values.via }, io.env, ca ? { ca } : {});

    const progress = createProgress(io.stderr, proxies.length);
    const counts = { done: 0, ok: 0, failed: 0 };
    const results = await mapLimit(proxies, concurrency, async (proxy) => {
      const result = await checkProxy(proxy, via, { target, timeoutMs, ca });
      counts.done++;
      counts[result.status === 'ok' ? 'ok' : 'failed']++;
      progress.update(counts.done, counts.ok, counts.failed);
      return result;
    });
    progress.finish();

    const sorted = byLatency(results);
    const exitCode =
      counts.ok === results.length ? EXIT.ok : counts.ok === 0 ? EXIT.hopFailed : EXIT.unreachable;
    if (values.json) {
      const json = {
        schema: 1,
        command: 'check',
        via: via ? via.hops.map((hop) => hop.url) : [],
        target: target ? values.target : null,
        timeoutMs,
        summary: { total: results.length, ok: counts.ok, failed: counts.failed },
        exitCode,
        results: sorted,
      };
      io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else if (values.csv) {
      io.stdout.write(renderCsv(sorted));
    } else if (values['alive-only']) {
      for (const result of sorted) {
        if (result.status !== 'ok') continue;
        io.stdout.write(`${result.url}\n`);
      }
    } else {
      const through = via ? ` through ${via.toString()}` : '';
      const to = target ? `, target ${values.target}` : '';
      const header = `check ${results.length} prox${results.length === 1 ? 'y' : 'ies'}${through} (timeout ${timeoutMs} ms${to})`;
      io.stdout.write(renderCheckTable(sorted, createStyle(io.stdout, io.env), header));
    }
    return exitCode;
  });
}

function readStdin(): string {
  return readFileSync(0, 'utf8');
}
