/**
 * `sockschain serve`: a local SOCKS/HTTP proxy that sends every connection through the
 * chain. Bound URLs go to stdout (one `listening URL` line each, so scripts can read the
 * port chosen for port 0); the log, one line per connection, goes to stderr.
 */
import type { EventEmitter } from 'node:events';
import { parseAuth } from '../../server/auth.js';
import { formatRecord } from '../../server/log.js';
import { ListenError, type ProxyServer, SERVER_DEFAULTS } from '../../server/proxy-server.js';
import { serveChain } from '../../server/serve.js';
import { parseStatusAddress, serveStatus } from '../../server/status.js';
import { CHAIN_ARG_HELP, CHAIN_ARG_OPTIONS, chainFromArgs, parseDuration } from '../chain-args.js';
import { parseCommandLine, positiveInt, readCa, runCommand } from '../command.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle } from '../output/style.js';

export const USAGE = `Usage: sockschain serve [options]

Run a local proxy server that sends every connection through the chain, for programs
that are not Node (curl, browsers, mail servers).

Listeners:
  -l, --listen URL            socks5://HOST:PORT (SOCKS4, 4a and 5 on one port) or
                              http://HOST:PORT (CONNECT and http:// forwarding); repeatable;
                              port 0 picks a free port (default socks5://127.0.0.1:1080)
      --auth USER:PASS        credentials clients must give (SOCKS5 user/password, HTTP Basic);
                              SOCKSCHAIN_SERVE_AUTH=USER:PASS keeps them out of the process list
      --allow-public          allow a non-loopback listener without --auth
      --max-connections N     client connections at once, all listeners together (default 512)
      --handshake-timeout D   time a client has to send its request (default 10s)
      --drain-timeout D       on SIGINT/SIGTERM, time open tunnels get to finish (default 10s)
      --ca FILE               also trust these PEM certificates (https:// hops)
      --status HOST:PORT      serve chain.stats() on http://HOST:PORT/status (JSON) and
                              /metrics (Prometheus text); --auth and --allow-public apply
  -q, --quiet                 no connection log
      --verbose               log per-hop timings and full error messages
  -h, --help                  show this help

${CHAIN_ARG_HELP}
Prints "listening URL" on stdout for each listener, one log line per connection on stderr.
Exit status: 0 after shutdown, 1 a listener could not bind, 64 bad options or configuration.
`;

const OPTIONS = {
  ...CHAIN_ARG_OPTIONS,
  listen: { type: 'string', multiple: true, short: 'l' },
  auth: { type: 'string' },
  'allow-public': { type: 'boolean' },
  'max-connections': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  status: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean' },
  ca: { type: 'string' },
} as const;

const DEFAULT_LISTEN = 'socks5://127.0.0.1:1080';
const DEFAULT_DRAIN_MS = 10_000;

export interface ServeRunOptions {
  /** Where SIGINT/SIGTERM come from; tests pass their own emitter. Default: process. */
  signals?: EventEmitter;
}

export function run(argv: string[], io: CliIo, options: ServeRunOptions = {}): Promise<number> {
  return runCommand('serve', USAGE, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.quiet && values.verbose) throw new UsageError('--quiet and --verbose exclude each other');
    const ca = readCa(values.ca);
    const chain = chainFromArgs(values, io.env, ca ? { ca } : {});
    const authText = values.auth ?? io.env.SOCKSCHAIN_SERVE_AUTH;
    const drainMs = optionalDuration(values['drain-timeout'], '--drain-timeout') ?? DEFAULT_DRAIN_MS;
    const color = createStyle(io.stderr, io.env).enabled;
    let handle: ProxyServer;
    try {
      handle = await serveChain(chain, {
        listen: values.listen ?? [DEFAULT_LISTEN],
        auth: authText === undefined || authText === '' ? undefined : parseAuth(authText),
        allowPublic: values['allow-public'] === true,
        maxConnections: positiveInt(
          values['max-connections'],
          '--max-connections',
          SERVER_DEFAULTS.maxConnections,
        ),
        handshakeTimeoutMs: optionalDuration(values['handshake-timeout'], '--handshake-timeout'),
        drainTimeoutMs: drainMs,
        onConnection: values.quiet
          ? undefined
          : (record) => io.stderr.write(`${formatRecord(record, { verbose: values.verbose, color })}\n`),
      });
    } catch (error) {
      if (!(error instanceof ListenError)) throw error;
      io.stderr.write(`sockschain serve: ${error.message}${hint(error.code)}\n`);
      return EXIT.unreachable;
    }
    for (const url of handle.urls()) io.stdout.write(`listening ${url}\n`);
    const status = values.status
      ? await serveStatus(chain, {
          ...parseStatusAddress(values.status),
          auth: authText === undefined || authText === '' ? undefined : parseAuth(authText),
          allowPublic: values['allow-public'] === true,
        }).catch(async (error: unknown) => {
          await handle.close({ drainTimeoutMs: 0 });
          throw error;
        })
      : undefined;
    if (status) io.stdout.write(`status ${status.url}/status ${status.url}/metrics\n`);
    // --quiet keeps stderr for problems only.
    const say = values.quiet ? () => {} : (text: string) => void io.stderr.write(text);
    say(`sockschain serve: forwarding through ${chain}\n`);
    const cut = await untilStopped(handle, drainMs, say, options.signals ?? process);
    await status?.close();
    if (cut > 0) io.stderr.write(`sockschain serve: cut ${cut} connection(s) still open after draining\n`);
    return EXIT.ok;
  });
}

/** Waits for SIGINT/SIGTERM, then drains; a second signal cuts what is left at once. */
function untilStopped(
  handle: ProxyServer,
  drainMs: number,
  say: (text: string) => void,
  signals: EventEmitter,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) {
        say(`sockschain serve: ${signal} again: closing the remaining connections now\n`);
        void handle.close({ drainTimeoutMs: 0 });
        return;
      }
      stopping = true;
      const open = handle.connections;
      say(
        `sockschain serve: ${signal}: no longer accepting; ${open} connection(s) open, draining for up to ${drainMs} ms (signal again to stop now)\n`,
      );
      void handle.close().then(({ cut }) => {
        signals.off('SIGINT', onSignal);
        signals.off('SIGTERM', onSignal);
        resolve(cut);
      });
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
  });
}

function hint(code: string | undefined): string {
  if (code === 'EADDRINUSE') return ' (another program uses that port: pick another, or port 0)';
  if (code === 'EACCES') return ' (ports below 1024 need privileges: pick a higher one)';
  if (code === 'EADDRNOTAVAIL') return ' (no interface has that address)';
  return '';
}

function optionalDuration(text: string | undefined, option: string): number | undefined {
  return text === undefined ? undefined : parseDuration(text, option);
}
