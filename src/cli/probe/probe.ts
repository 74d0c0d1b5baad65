/** `sockschain probe TARGET...`: can I get there through the chain, and if not, which hop and why. */
import { CHAIN_ARG_HELP, CHAIN_ARG_OPTIONS, chainFromArgs } from '../chain-args.js';
import { mapLimit, parseCommandLine, positiveInt, readCa, runCommand } from '../command.js';
import { worstExit } from '../output/hints.js';
import type { CliIo } from '../output/io.js';
import { createStyle } from '../output/style.js';
import { version } from '../version.js';
import { renderMany, renderOne } from './render.js';
import { probeTarget } from './run.js';
import { expandTargets, parsePorts } from './targets.js';

export const USAGE = `Usage: sockschain probe [options] TARGET...

Opens a tunnel to each TARGET through the chain and shows, hop by hop, how long TCP, TLS
and each handshake took, and on failure which hop failed, why, and what to try.

TARGET: host:port, [ipv6]:port, or a URL (https://example.com means port 443).

Options:
  -p, --ports LIST       probe each of these ports on each target's host (e.g. 22,80,443)
      --app-check        for http/https targets, send HEAD once the tunnel is up and show
                         the status and the target's TLS certificate (subject, issuer)
      --expect-issuer S  with --app-check: fail unless the issuer contains S (interception check)
      --ca FILE          also trust these PEM certificates (https hops and --app-check)
      --concurrency N    probe at most N targets at a time (default 8)
      --json             print JSON (schema 2, see docs/cli.md)
  -h, --help             show this help

${CHAIN_ARG_HELP}
Exit status: 0 every target reachable; 1 some target unreachable from the last hop (or its
app check failed); 2 a hop failed (unreachable, auth, denied, TLS, protocol); 64 usage error.
`;

const OPTIONS = {
  ...CHAIN_ARG_OPTIONS,
  ports: { type: 'string', short: 'p' },
  'app-check': { type: 'boolean' },
  'expect-issuer': { type: 'string' },
  ca: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function run(argv: string[], io: CliIo): Promise<number> {
  return runCommand('probe', USAGE, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    const ports = parsePorts(values.ports);
    const targets = expandTargets(positionals, ports);
    const concurrency = positiveInt(values.concurrency, '--concurrency', 8);
    const ca = readCa(values.ca);
    const chain = chainFromArgs(values, io.env, ca ? { ca } : {});
    const options = {
      appCheck: values['app-check'] === true,
      ca,
      expectIssuer: values['expect-issuer'],
      userAgent: `sockschain/${version()}`,
    };
    const reports = await mapLimit(targets, concurrency, (target) => probeTarget(chain, target, options));
    const exitCode = worstExit(reports.map((r) => r.exitCode));
    if (values.json) {
      const json = {
        schema: 2,
        command: 'probe',
        chain: chain.hops.map((hop) => hop.url),
        exitCode,
        results: reports,
      };
      io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      const style = createStyle(io.stdout, io.env);
      const [only] = reports;
      io.stdout.write(
        reports.length === 1 && only && !ports
          ? renderOne(chain, only, style)
          : renderMany(chain, reports, style, ports),
      );
    }
    return exitCode;
  });
}
