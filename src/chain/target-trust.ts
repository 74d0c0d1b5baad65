/**
 * Trust for https:// TARGETS, kept apart from trust for hops. The chain's `ca` and
 * `rejectUnauthorized` are for its https:// hops only; `targetTls` (on the chain, or on one
 * `chain.fetch()` call) is for the sites reached through the tunnel. A private CA for an
 * internal site then never makes a proxy trusted, nor the reverse.
 */
import { describeValue } from '../errors.js';
import { invalid } from '../validate.js';

export interface TargetTlsOptions {
  /** CA certificates (PEM) trusted for https:// targets, instead of Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify targets' certificates. Default true. */
  rejectUnauthorized?: boolean;
}

const KEYS = new Set(['ca', 'rejectUnauthorized']);

/** Checks `targetTls` up front, so a typo fails at creation with INVALID_CONFIG. */
export function checkTargetTls(value: unknown, name = 'targetTls'): TargetTlsOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`${name} must be an object ({ ca, rejectUnauthorized }), got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key))
      throw invalid(`${name} has an unknown key ${JSON.stringify(key)} (known: ca, rejectUnauthorized)`);
  }
  const { rejectUnauthorized } = value as TargetTlsOptions;
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') {
    throw invalid(`${name}.rejectUnauthorized must be a boolean, got ${describeValue(rejectUnauthorized)}`);
  }
  return value as TargetTlsOptions;
}

/** An adapter's options with the target trust filled in where the adapter has none of its own. */
export function withTargetTls<T extends TargetTlsOptions>(
  options: T,
  trust: TargetTlsOptions | undefined,
): T {
  if (!trust) return options;
  const out = { ...options };
  if (out.ca === undefined && trust.ca !== undefined) out.ca = trust.ca;
  if (out.rejectUnauthorized === undefined && trust.rejectUnauthorized !== undefined) {
    out.rejectUnauthorized = trust.rejectUnauthorized;
  }
  return out;
}
