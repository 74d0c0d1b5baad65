/**
 * What every command shares around its body: parsing with node's util.parseArgs (its
 * errors become UsageErrors), `--help`, and turning usage and configuration errors into
 * one clear line and exit 64 instead of a stack trace.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ChainError } from '../errors.js';
import { type CliIo, EXIT, UsageError } from './output/io.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Strict<T extends Options> = { args: string[]; options: T; allowPositionals: true; strict: true };

/** util.parseArgs in strict mode, its complaints rethrown as UsageErrors. */
export function parseCommandLine<T extends Options>(
  argv: string[],
  options: T,
): ReturnType<typeof parseArgs<Strict<T>>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
    }
    throw error;
  }
}

/** Runs a command body; usage and configuration errors print one line and return 64. */
export async function runCommand(
  name: string,
  usage: string,
  argv: string[],
  io: CliIo,
  body: () => Promise<number>,
): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(usage);
    return EXIT.ok;
  }
  // `sockschain probe ... | head`: a reader that leaves early is normal, not a crash. The
  // listener stays: the EPIPE can surface after the command has returned.
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE')
      io.stderr.write(`sockschain ${name}: cannot write output: ${error.message}\n`);
  };
  io.stdout.on('error', onStdoutError);
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || (error instanceof ChainError && error.code === 'INVALID_CONFIG')) {
      io.stderr.write(`sockschain ${name}: ${error.message}\nRun 'sockschain ${name} --help' for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

/** A positive whole number option, e.g. --concurrency. */
export function positiveInt(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${option} must be a whole number of at least 1, got "${text}"`);
  }
  return value;
}

/**
 * `--ca FILE`: PEM certificates to trust in addition to the system's (a corporate CA, a
 * self-signed proxy). Node's `ca` replaces the default roots, so they are added back.
 */
export function readCa(path: string | undefined): string[] | undefined {
  if (path === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --ca ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`--ca ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return [...rootCertificates, pem];
}

/** Runs `task` over `items` with at most `limit` at a time; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
