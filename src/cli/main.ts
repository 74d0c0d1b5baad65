/** The `sockschain` command: one file per subcommand, loaded on demand. */
import { type CliIo, type Command, EXIT } from './output/io.js';
import { version } from './version.js';

export { EXIT } from './output/io.js';
// Commands import version() from version.ts: main.ts loads them, so they must not import it.
export { version } from './version.js';

const COMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  probe: () => import('./probe/probe.js'),
  check: () => import('./check/check.js'),
  serve: () => import('./serve/serve.js'),
  fetch: () => import('./fetch/fetch.js'),
  demo: () => import('./demo/demo.js'),
  connect: () => import('./connect/connect.js'),
  run: () => import('./run/run.js'),
};

const HELP = `sockschain: open TCP tunnels through a chain of HTTP, HTTPS, SOCKS4/4a and SOCKS5 proxies

Usage: sockschain <command> [options]

Commands:
  demo               start here: three local proxies, chained, probed and used
  probe TARGET...    can I reach TARGET through the chain? if not, which hop and why
  check [FILE|URL]   health-check a list of proxies
  serve              run a local SOCKS/HTTP proxy that forwards through the chain
  fetch URL          an HTTP request through the chain, body to stdout
  connect HOST:PORT  one tunnel relayed to stdin/stdout (ssh ProxyCommand, scripts)
  run -- CMD [ARGS]  run CMD with its proxy variables pointing at a private local proxy

The chain comes from --chain URLS, --config FILE, or the environment (PROXY_CHAIN, *_PROXY).
Run 'sockschain <command> --help' for a command's options; docs/cli.md has them all.

Exit status: 0 ok; 1 the target is unreachable from the last hop; 2 a hop failed; 64 usage error.

Options:
  -h, --help         show help
  -v, --version      print the version
`;

export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    (command === undefined ? io.stderr : io.stdout).write(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '-v' || command === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[command];
  if (!load) {
    io.stderr.write(`sockschain: unknown command "${command}"\n\n${HELP}`);
    return EXIT.usage;
  }
  const { run } = await load();
  return run(rest, io);
}
