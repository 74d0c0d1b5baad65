/**
 * The vocabulary of blame.ts: the documented causes, the link of the chain a failure is
 * on, and the facts of a ChainError that blame reads. Apart from blame.ts so that
 * remedies.ts (one sentence per cause) can use it without importing blame back.
 */
import type { ChainError } from './errors.js';

/** The documented causes (docs/cli.md, "Causes"). */
export const CAUSES = [
  'filtered',
  'firewall-rejected',
  'refused',
  'credentials-blocked',
  'credentials-rejected',
  'credentials-required',
  'auth-unsupported',
  'protocol-blocked',
  'tls-blocked',
  'tls-untrusted',
  'tls-intercepted',
  'proxy-denied',
  'wrong-protocol',
  'stalled',
  'target-filtered',
  'target-refused',
  'dns-failed',
  'aborted',
  'config',
  'unknown',
] as const;
export type Cause = (typeof CAUSES)[number];

/** 'target': every hop worked and the last one could not reach the target. */
export type Side = 'target' | 'hop' | 'config';

/** A link of the chain: `from` null is this machine, `to` null the target (0-based hop indices). */
export interface Link {
  from: number | null;
  to: number | null;
}

/** The facts blame reads; a ChainError has them all. */
export type Facts = Pick<
  ChainError,
  'code' | 'phase' | 'hopIndex' | 'target' | 'stage' | 'replyStarted' | 'reason'
> & { cause?: unknown };
