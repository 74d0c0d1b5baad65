/**
 * Shared pieces of the property-based tests: the seed and run count (FUZZ_SEED, FUZZ_RUNS),
 * an assert that names the seed when it fails, arbitraries for mutated inputs and random
 * chunkings, and a fake peer: a Duplex that hands out scripted bytes one chunk per read and
 * records what the code under test wrote. All in memory: no sockets, so 10,000 runs take seconds.
 */
import { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import fc from 'fast-check';

export const SEED = Number(process.env.FUZZ_SEED ?? 20_260_508);
export const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

/** fc.assert with the suite's seed and run count; on failure the message says how to replay it. */
export async function check<Ts>(property: fc.IRawProperty<Ts>, runs = RUNS): Promise<void> {
  try {
    await fc.assert(property, { numRuns: runs, seed: SEED });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`property failed with FUZZ_SEED=${SEED} (rerun with it to replay)\n${message}`);
  }
}

/** One edit of a byte string: flip, insert, delete, or cut everything from a position. */
type Edit = { kind: 'flip' | 'insert' | 'delete' | 'cut'; at: number; byte: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'cut'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

export function applyEdits(input: Buffer, edits: readonly Edit[]): Buffer {
  let out = input;
  for (const { kind, at, byte } of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + (kind === 'insert' ? 1 : 0));
    const one = Buffer.from([byte]);
    if (kind === 'flip' && out.length > 0)
      out = Buffer.concat([out.subarray(0, i), one, out.subarray(i + 1)]);
    else if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), one, out.subarray(i)]);
    else if (kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else if (kind === 'cut') out = out.subarray(0, i);
  }
  return out;
}

/** A valid input as given, with a few random edits, or replaced by random bytes. */
export function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 5,
      arbitrary: fc
        .tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 }))
        .map(([b, e]) => applyEdits(b, e)),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
  );
}

/** The same for text (URLs, config lines): edits with characters that matter to parsers. */
export function mutatedText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const special = fc.constantFrom(
    ...':/@[]?#%. \t\n\r\0,;=*!$&\'"\\~'.split(''),
    'é',
    '\u{1F600}',
    '%zz',
    '%00',
  );
  const textEdit = fc.record({
    kind: fc.constantFrom('insert', 'delete', 'replace'),
    at: fc.nat(),
    text: fc.oneof(special, fc.string({ maxLength: 3 })),
  });
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 5,
      arbitrary: fc.tuple(valid, fc.array(textEdit, { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
        let out = text;
        for (const { kind, at, text: piece } of edits) {
          const i = at % (out.length + 1);
          if (kind === 'insert') out = out.slice(0, i) + piece + out.slice(i);
          else if (kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
          else out = out.slice(0, i) + piece + out.slice(i + piece.length);
        }
        return out;
      }),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 60, unit: 'binary' }) },
  );
}

/** Cut points for a byte string: the chunks a peer's bytes arrive in. */
export function chunked(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (input.length === 0 ? 0 : c % input.length)))]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(input.subarray(from, point));
    from = point;
  }
  if (from < input.length) chunks.push(input.subarray(from));
  return chunks;
}

export const cuts = fc.array(fc.nat(), { maxLength: 8 });

export interface FakePeer {
  stream: Duplex;
  /** What the code under test wrote, in order. */
  written: Buffer[];
}

/**
 * A peer that sends `chunks` (each as its own read, a macrotask apart, as TCP segments
 * would arrive) and then closes. The code under test may write whatever it likes.
 */
export function fakePeer(chunks: readonly Buffer[]): FakePeer {
  const written: Buffer[] = [];
  const queue = [...chunks];
  let scheduled = false;
  const stream = new Duplex({
    read() {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const next = queue.shift();
        this.push(next ?? null);
      });
    },
    write(chunk: Buffer, _encoding, callback) {
      written.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, written };
}

/** Everything still readable from a stream, once it ends (for "no byte lost" checks). */
export function rest(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => got.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(got)));
    stream.once('error', reject);
  });
}

/** Settles `promise` or fails after `ms`: a property must never hang. */
export async function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every way the library can show a value to a user or a log. */
export function renderings(value: unknown): string[] {
  const out = [String(value), inspect(value, { depth: 10, showHidden: true })];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // Circular: the other renderings stand.
  }
  if (value instanceof Error) out.push(value.stack ?? '', String(value.cause ?? ''));
  return out;
}
