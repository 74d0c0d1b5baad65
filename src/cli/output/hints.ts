/**
 * From a ChainError to what an operator needs: whose fault it is (the target, a hop, the
 * configuration), the exit code that says so, and one line on the likely cause and fix.
 * The decision itself is blame.ts's, shared with the server and the chain modes; this file
 * maps it to exit codes.
 */
import { blame, type Facts, type Side } from '../../blame.js';
import { EXIT } from './io.js';

export type FailureKind = Side;

/** The facts the hint needs; a ChainError has them all. */
export type Failure = Facts;

export function failureKind(error: Failure, hopCount: number, finalTarget?: string): FailureKind {
  return blame(error, { hopCount, finalTarget }).side;
}

export function exitCodeFor(kind: FailureKind): number {
  return kind === 'target' ? EXIT.unreachable : kind === 'config' ? EXIT.usage : EXIT.hopFailed;
}

/** The worst of several exit codes: usage > hop failed > unreachable > ok. */
export function worstExit(codes: Iterable<number>): number {
  const rank = [EXIT.ok, EXIT.unreachable, EXIT.hopFailed, EXIT.usage] as number[];
  let worst: number = EXIT.ok;
  for (const code of codes) if (rank.indexOf(code) > rank.indexOf(worst)) worst = code;
  return worst;
}

/** One line: the likely cause and what to do about it. */
export function hintFor(error: Failure, hopCount: number, finalTarget?: string): string {
  return blame(error, { hopCount, finalTarget }).remedy;
}
