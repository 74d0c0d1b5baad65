/**
 * `sockschain run -- CMD [ARGS...]`: a private local proxy (the `serve` machinery on ephemeral
 * 127.0.0.1 ports, guarded by a random per-run credential) and CMD started with its proxy
 * variables pointing at it, so programs that are not Node (curl, git, Python, Go binaries)
 * use the chain without LD_PRELOAD. `--print-env` prints the variables for a `serve` instead.
 */
import { randomBytes } from 'node:crypto';
import { parseTarget } from '../../target.js';
import { CHAIN_ARG_HELP, CHAIN_ARG_OPTIONS, chainFromArgs } from '../chain-args.js';
import { parseCommandLine, readCa, runCommand } from '../command.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle } from '../output/style.js';
import { preflight } from './check.js';
import { runChild } from './child.js';
import { childEnvironment, exportLines } from './env.js';
import { startRunProxy } from './proxy.js';

export const USAGE = `Usage: sockschain run [options] -- CMD [ARGS...]
       sockschain run --print-env [--listen URL]... [--auth-env NAME]

Starts a local proxy on 127.0.0.1 (ephemeral ports, a random credential only CMD gets), runs
CMD with http_proxy, https_proxy, all_proxy (socks5h), no_proxy and their upper-case forms
(plus npm_config_proxy, npm_config_https_proxy, PIP_PROXY) pointing at it, and stops it when
CMD exits. CMD keeps stdin, stdout and stderr (a terminal stays a terminal); SIGINT, SIGTERM
and SIGHUP are passed on to it. See docs/cli.md for which programs read which variable.

Before CMD starts, the chain is checked: every hop must answer and take its credentials
(a tunnel to --check-target if given). A failure is reported as probe does, exit 1 or 2.

Options:
      --no-check           start CMD without checking the chain first
      --check-target H:P   check with a tunnel to this target (must open)
  -v, --verbose            log each connection of CMD on stderr (as serve does)
      --ca FILE            also trust these PEM certificates (https:// hops)
      --print-env          print export lines for a 'sockschain serve' you run yourself, and exit
  -l, --listen URL         with --print-env: that serve's listeners (default
                           socks5://127.0.0.1:1080 and http://127.0.0.1:8080)
      --auth-env NAME      with --print-env: the variable that holds that serve's USER:PASS,
                           written as \${NAME} so the credential is never printed
                           (default SOCKSCHAIN_SERVE_AUTH when it is set)
  -h, --help               show this help

${CHAIN_ARG_HELP}
Exit status: CMD's (128+N when signal N ended it); 1 or 2 when the check failed (as probe);
126 CMD cannot be run; 127 CMD not found; 64 usage error.
`;

const OPTIONS = {
  ...CHAIN_ARG_OPTIONS,
  'no-check': { type: 'boolean' },
  'check-target': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  ca: { type: 'string' },
  'print-env': { type: 'boolean' },
  listen: { type: 'string', short: 'l', multiple: true },
  'auth-env': { type: 'string' },
} as const;

const DEFAULT_LISTEN = ['socks5://127.0.0.1:1080', 'http://127.0.0.1:8080'];

export function run(argv: string[], io: CliIo): Promise<number> {
  // Everything after `--` is CMD's, options included.
  const split = argv.indexOf('--');
  const ours = split === -1 ? argv : argv.slice(0, split);
  return runCommand('run', USAGE, ours, io, async () => {
    const { values, positionals } = parseCommandLine(ours, OPTIONS);
    const command = split === -1 ? positionals : [...positionals, ...argv.slice(split + 1)];
    const ca = readCa(values.ca);
    const chain = chainFromArgs(values, io.env, ca ? { ca } : {});
    if (values['print-env']) {
      if (command.length > 0) throw new UsageError('--print-env takes no command');
      io.stdout.write(
        printEnv(values.listen ?? DEFAULT_LISTEN, chain.options.noProxy, values['auth-env'], io.env),
      );
      return EXIT.ok;
    }
    if (values.listen || values['auth-env'])
      throw new UsageError('--listen and --auth-env go with --print-env');
    const [file, ...args] = command;
    if (file === undefined) throw new UsageError('give the command to run after --, e.g. run -- curl URL');
    const checkTarget =
      values['check-target'] === undefined ? undefined : parseTarget(values['check-target']);
    const style = createStyle(io.stderr, io.env);
    if (!values['no-check']) {
      const check = await preflight(chain, checkTarget, style);
      if (check.exitCode !== EXIT.ok) {
        io.stderr.write(`sockschain run: the chain does not work; ${file} was not started\n${check.text}`);
        return check.exitCode;
      }
    }
    // Only CMD learns it: it is in CMD's environment, never printed or logged.
    const auth = { username: 'sockschain', password: randomBytes(24).toString('hex') };
    const proxy = await startRunProxy(chain, auth, {
      onLog: values.verbose ? (line) => io.stderr.write(`${line}\n`) : undefined,
      color: style.enabled,
    });
    try {
      const env = childEnvironment(io.env, proxy.endpoints, chain.options.noProxy);
      const result = await runChild(file, args, env);
      if (result.error) io.stderr.write(`sockschain run: ${result.error}\n`);
      return result.exitCode;
    } finally {
      await proxy.close();
    }
  });
}

function printEnv(
  listen: readonly string[],
  noProxy: readonly string[],
  authEnv: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const http = listen.find((url) => url.startsWith('http://'));
  const socks = listen.find((url) => /^socks/.test(url))?.replace(/^socks5?:/, 'socks5h:');
  if (!http && !socks) throw new UsageError('--listen takes http://HOST:PORT or socks5://HOST:PORT');
  if (authEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(authEnv)) {
    throw new UsageError(`--auth-env must be a variable name, got "${authEnv}"`);
  }
  const variable = authEnv ?? (env.SOCKSCHAIN_SERVE_AUTH ? 'SOCKSCHAIN_SERVE_AUTH' : undefined);
  const trim = (url: string) => url.replace(/\/+$/, '');
  const listeners = { http: trim(http ?? (socks as string)), socks: trim(socks ?? (http as string)) };
  const serve = listen.map((url) => `-l ${url}`).join(' ');
  const auth = variable ? ` (with ${variable}=USER:PASS set for it and for this shell)` : '';
  return `# for: sockschain serve ${serve}${auth}\n${exportLines(listeners, noProxy, variable)}`;
}
