/**
 * `sockschain connect HOST:PORT`: one tunnel through the chain, relayed to stdin/stdout, for
 * ssh's ProxyCommand, git's core.sshCommand, `rsync -e` and shell scripts. stdout carries the
 * target's bytes only: every message goes to stderr.
 */
import { createWriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { formatTarget, parseTarget } from '../../target.js';
import { CHAIN_ARG_HELP, CHAIN_ARG_OPTIONS, chainFromArgs, parseDuration } from '../chain-args.js';
import { parseCommandLine, readCa, runCommand } from '../command.js';
import { failureLines } from '../output/format.js';
import { exitCodeFor, failureKind, hintFor } from '../output/hints.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle } from '../output/style.js';
import { asChainError } from '../probe/report.js';
import { relay } from './relay.js';

export const USAGE = `Usage: sockschain connect [options] HOST:PORT

Opens one tunnel to HOST:PORT through the chain and relays it to stdin/stdout (like nc).
EOF on stdin half-closes the tunnel; the target's EOF closes stdout.

  ssh -o ProxyCommand='sockschain connect --chain URLS %h:%p' user@host
  printf 'EHLO me\\r\\n' | sockschain connect 127.0.0.1:25

Options:
      --idle-timeout D   close the tunnel when no byte moved either way for D (e.g. 5m, 300s)
      --ca FILE          also trust these PEM certificates (https:// hops)
  -h, --help             show this help

${CHAIN_ARG_HELP}(--timeout bounds the setup of the tunnel only, not the relay.)

Exit status: 0 the tunnel opened and ended cleanly (also after --idle-timeout); 1 the target
is unreachable from the last hop, or the connection failed after it opened; 2 a hop failed;
64 usage error. Errors go to stderr; stdout carries the target's bytes only.
`;

const OPTIONS = {
  ...CHAIN_ARG_OPTIONS,
  'idle-timeout': { type: 'string' },
  ca: { type: 'string' },
} as const;

export interface ConnectRunOptions {
  /** Default: process.stdin. */
  input?: Readable;
  /** Default: file descriptor 1, closed on the target's EOF (process.stdout never closes). */
  output?: Writable;
}

export function run(argv: string[], io: CliIo, options: ConnectRunOptions = {}): Promise<number> {
  return runCommand('connect', USAGE, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length !== 1) {
      throw new UsageError(`connect takes one HOST:PORT, got ${positionals.length}`);
    }
    const target = parseTarget(positionals[0] as string);
    const idleTimeoutMs =
      values['idle-timeout'] === undefined
        ? undefined
        : parseDuration(values['idle-timeout'], '--idle-timeout');
    const ca = readCa(values.ca);
    const chain = chainFromArgs(values, io.env, ca ? { ca } : {});
    const style = createStyle(io.stderr, io.env);
    let socket: Socket;
    try {
      socket = await chain.connect(target);
    } catch (error) {
      const failure = asChainError(error);
      const hint = hintFor(failure, chain.hops.length);
      io.stderr.write(failureLines({ code: failure.code, message: failure.message, hint }, style));
      return exitCodeFor(failureKind(failure, chain.hops.length, formatTarget(target)));
    }
    const end = await relay(socket, {
      input: options.input ?? process.stdin,
      output: options.output ?? createWriteStream('', { fd: 1 }),
      idleTimeoutMs,
    });
    switch (end.kind) {
      case 'failed':
        io.stderr.write(`sockschain connect: ${formatTarget(target)}: ${end.message}\n`);
        return EXIT.unreachable;
      case 'idle':
        io.stderr.write(`sockschain connect: nothing moved for ${end.ms} ms: closed (--idle-timeout)\n`);
        return EXIT.ok;
      default:
        return EXIT.ok;
    }
  });
}
