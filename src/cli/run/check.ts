/**
 * `sockschain run`'s check before CMD starts: every hop must be reachable, speak its protocol
 * and take its credentials. With `--check-target` the tunnel must reach that target; without,
 * the chain is asked for a tunnel to its last hop's own address (as `check` does), and an
 * answer from the last hop about that destination (a refusal included) counts: it came from a
 * hop that had accepted us. Failures are worded as `probe` words them.
 */
import type { Chain } from '../../chain/chain.js';
import type { ChainErrorCode } from '../../errors.js';
import { formatTarget, type Target } from '../../target.js';
import { failureLines } from '../output/format.js';
import { exitCodeFor, failureKind, hintFor } from '../output/hints.js';
import { EXIT } from '../output/io.js';
import type { Style } from '../output/style.js';
import { asChainError } from '../probe/report.js';

/** Replies in the last hop's own protocol about the destination: it works, it just said no. */
const ANSWERS: ReadonlySet<ChainErrorCode> = new Set(['PROXY_DENIED', 'TARGET_UNREACHABLE', 'DNS_FAILED']);

export interface PreflightResult {
  exitCode: number;
  /** The probe-style lines for stderr; empty when the chain works. */
  text: string;
}

export async function preflight(
  chain: Chain,
  target: Target | undefined,
  style: Style,
): Promise<PreflightResult> {
  const last = chain.hops[chain.hops.length - 1];
  const dest = target ?? (last ? { host: last.host, port: last.port } : undefined);
  if (!dest) return { exitCode: EXIT.ok, text: '' };
  try {
    const socket = await chain.connect(dest);
    socket.destroy();
    return { exitCode: EXIT.ok, text: '' };
  } catch (error) {
    const failure = asChainError(error);
    const lastIndex = chain.hops.length - 1;
    if (!target && failure.hopIndex === lastIndex && failure.phase !== 'tcp' && ANSWERS.has(failure.code)) {
      return { exitCode: EXIT.ok, text: '' };
    }
    const hint = hintFor(failure, chain.hops.length);
    return {
      exitCode: exitCodeFor(failureKind(failure, chain.hops.length, formatTarget(dest))),
      text: failureLines({ code: failure.code, message: failure.message, hint }, style),
    };
  }
}
