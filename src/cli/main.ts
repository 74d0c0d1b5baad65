/** The `sockschain` command: dispatches to one file per subcommand. */
import { readFileSync } from 'node:fs';

export const EXIT = { ok: 0, unreachable: 1, hopFailed: 2, usage: 64 } as const;

const HELP = `sockschain: open TCP tunnels through a chain of HTTP, HTTPS, SOCKS4/4a and SOCKS5 proxies

Usage: sockschain <command> [options]

Commands:
  demo               run a local chain of three proxies and show it working
  help               show this help

Options:
  -h, --help         show help
  -v, --version      print the version
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    out.write(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '-v' || command === '--version') {
    out.write(`${version()}\n`);
    return EXIT.ok;
  }
  void rest;
  process.stderr.write(`sockschain: unknown command "${command}"\n\n${HELP}`);
  return EXIT.usage;
}
