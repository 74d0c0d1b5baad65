/** `sockschain fetch URL`: a curl-like HTTP request through the chain, the body to stdout. */
import { createWriteStream, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Chain } from '../../chain/chain.js';
import type { TraceEntry } from '../../dial/dial.js';
import { afterTunnelRemedy } from '../../remedies.js';
import { formatTarget } from '../../target.js';
import { CHAIN_ARG_HELP, CHAIN_ARG_OPTIONS, chainFromArgs } from '../chain-args.js';
import { parseCommandLine, readCa, runCommand } from '../command.js';
import { sendRequest, startTls, TargetTlsError, verified } from '../http-exchange.js';
import { failureLines } from '../output/format.js';
import { exitCodeFor, failureKind, hintFor } from '../output/hints.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle, type Style } from '../output/style.js';
import { formatMs } from '../output/table.js';
import { asChainError } from '../probe/report.js';
import { version } from '../version.js';
import { buildRequest, describeHeaders, type FetchTarget, parseFetchUrl } from './request.js';

export const USAGE = `Usage: sockschain fetch [options] URL

Sends one HTTP request through the chain and writes the response body to stdout.

Options:
  -X, --request METHOD   the method (default GET, or POST with -d)
  -H, --header "N: V"    add a header; "N:" removes a default one; repeatable
  -d, --data DATA        request body; @FILE reads a file, @- standard input; repeatable (joined with &)
  -i, --include          write the response status line and headers before the body
  -o, --output FILE      write to FILE instead of stdout
  -f, --fail             exit 22 when the HTTP status is 400 or more
  -k, --insecure         do not verify the target's TLS certificate
      --ca FILE          also trust these PEM certificates (https hops and the target)
  -v, --verbose          show the chain, the tunnel timings and the headers on stderr
  -h, --help             show this help

${CHAIN_ARG_HELP}
Exit status: 0 done; 1 the target is unreachable from the last hop, or the request to it
failed (TLS, no HTTP answer); 2 a hop failed; 22 with --fail, HTTP status >= 400; 64 usage error.
`;

const OPTIONS = {
  ...CHAIN_ARG_OPTIONS,
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd', multiple: true },
  include: { type: 'boolean', short: 'i' },
  output: { type: 'string', short: 'o' },
  fail: { type: 'boolean', short: 'f' },
  insecure: { type: 'boolean', short: 'k' },
  ca: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

export function run(argv: string[], io: CliIo): Promise<number> {
  return runCommand('fetch', USAGE, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length > 1) throw new UsageError(`fetch takes one URL, got ${positionals.length}`);
    const { target, url } = parseFetchUrl(positionals[0]);
    const spec = buildRequest(url, target, {
      method: values.request,
      headers: values.header,
      data: values.data,
      userAgent: `sockschain/${version()}`,
      stdin: () => readFileSync(0),
    });
    const ca = readCa(values.ca);
    const chain = chainFromArgs(values, io.env, ca ? { ca } : {});
    const style = createStyle(io.stderr, io.env);
    const verbose = values.verbose ? (line: string) => io.stderr.write(`${style.dim(line)}\n`) : () => {};

    verbose(`* chain: ${chain.toString()}`);
    const trace: TraceEntry[] = [];
    let socket: Socket;
    try {
      socket = await chain.connect(target, { trace });
    } catch (error) {
      return tunnelFailed(chain, target, error, io, style);
    }
    verbose(
      trace.length === 0
        ? `* connected to ${formatTarget(target)} directly: NO_PROXY exempts it from the chain`
        : `* tunnel to ${formatTarget(target)} up: ${describeTrace(trace)}`,
    );
    let stream: Socket = socket;
    try {
      if (target.scheme === 'https') {
        const secure = await startTls(socket, target, { ca }, chain.options.timeoutMs);
        stream = secure.stream;
        verbose(`* TLS: subject ${secure.peer.subject}; issuer ${secure.peer.issuer}`);
        if (!values.insecure) verified(secure.peer, target.host);
      }
      verbose(`> ${spec.method} ${spec.path} HTTP/1.1`);
      for (const line of describeHeaders(spec.headers)) verbose(`> ${line}`);
      const { response } = await sendRequest(stream, spec, chain.options.timeoutMs);
      verbose(`< HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage ?? ''}`);
      await writeResponse(response, values.include === true, values.output, io);
      const status = response.statusCode ?? 0;
      return values.fail && status >= 400 ? 22 : EXIT.ok;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const tlsError = error instanceof TargetTlsError ? error : undefined;
      const code = tlsError ? 'TARGET_TLS_FAILED' : 'REQUEST_FAILED';
      const hint = afterTunnelRemedy(tlsError?.kind ?? 'no-http', tlsError?.peer?.issuer);
      io.stderr.write(failureLines({ code, message: `${target.safeUrl}: ${message}`, hint }, style));
      return EXIT.unreachable;
    } finally {
      stream.destroy();
      socket.destroy();
    }
  });
}

function tunnelFailed(chain: Chain, target: FetchTarget, error: unknown, io: CliIo, style: Style): number {
  const failure = asChainError(error);
  const finalTarget = formatTarget(target);
  const kind = failureKind(failure, chain.hops.length, finalTarget);
  const hint = hintFor(failure, chain.hops.length, finalTarget);
  io.stderr.write(failureLines({ code: failure.code, message: failure.message, hint }, style));
  return exitCodeFor(kind);
}

function describeTrace(trace: TraceEntry[]): string {
  return trace.map((entry) => `hop ${entry.hopIndex + 1} ${entry.phase} ${formatMs(entry.ms)} ms`).join(', ');
}

async function writeResponse(
  response: IncomingMessage,
  include: boolean,
  output: string | undefined,
  io: CliIo,
) {
  const head = include ? responseHead(response) : '';
  if (output !== undefined) {
    const file = createWriteStream(output);
    if (head) file.write(head);
    await pipeline(response, file);
    return;
  }
  if (head) io.stdout.write(head);
  // stdout is not ours to end; a reader that went away (| head) just stops the copy.
  await new Promise<void>((resolve, reject) => {
    let readerGone = false;
    const onError = () => {
      readerGone = true;
      response.destroy();
    };
    io.stdout.once('error', onError);
    response.pipe(io.stdout, { end: false });
    response.once('end', () => {
      io.stdout.off('error', onError);
      resolve();
    });
    // Destroyed because the reader left: done. Closed early by the server: a failure.
    response.once('error', (error) => (readerGone ? resolve() : reject(error)));
    response.once('close', () =>
      response.complete || readerGone
        ? resolve()
        : reject(new Error('the connection closed before the whole body arrived')),
    );
  });
}

function responseHead(response: IncomingMessage): string {
  let head = `HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage ?? ''}\r\n`;
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}
