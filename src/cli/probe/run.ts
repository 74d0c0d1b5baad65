/** One probe: a single attempt through the chain, its trace, and optionally the app check. */
import type { Chain } from '../../chain/chain.js';
import type { TraceEntry } from '../../dial/dial.js';
import { ChainError } from '../../errors.js';
import { redactUrl } from '../../hop.js';
import { EXIT } from '../output/io.js';
import { appCheck } from './app-check.js';
import { afterTunnelDiagnosis, applyDiagnosis, diagnose } from './diagnose.js';
import { attemptPath, buildReport, type TargetReport } from './report.js';
import type { ProbeTarget } from './targets.js';

export interface ProbeOptions {
  appCheck: boolean;
  ca?: string[] | undefined;
  expectIssuer?: string | undefined;
  userAgent: string;
  signal?: AbortSignal | undefined;
}

export async function probeTarget(
  chain: Chain,
  target: ProbeTarget,
  options: ProbeOptions,
): Promise<TargetReport> {
  const trace: TraceEntry[] = [];
  const dest = { host: target.host, port: target.port };
  // Chains from HTTP_PROXY/HTTPS_PROXY route by scheme; a URL target names it.
  const protocol = target.scheme ? `${target.scheme}:` : undefined;
  const direct = chain.bypasses(dest, { protocol });
  const began = performance.now();
  let socket: Awaited<ReturnType<Chain['connect']>> | undefined;
  let failure: unknown;
  try {
    socket = await chain.connect(dest, { trace, signal: options.signal, protocol });
  } catch (error) {
    failure = error;
  }
  const report = buildReport(chain, target, trace, performance.now() - began, failure, direct);
  // Cached by the chain since the connect just now: no second evaluation of the PAC file.
  const routes = await chain.pacRoutes(dest, protocol)?.catch(() => undefined);
  if (routes) report.pacRoutes = routes.map((route) => (route === 'direct' ? route : route.map(redactUrl)));
  if (!socket) {
    if (failure instanceof ChainError && report.status !== 'invalid' && failure.code !== 'ABORTED') {
      const diagnosis = await diagnose({
        chain,
        path: attemptPath(trace, failure),
        target: target.text,
        failure,
        totalMs: report.totalMs,
        // A whole probe, diagnosis included, ends within twice the tunnel's deadline.
        deadline: began + 2 * chain.options.timeoutMs,
      });
      applyDiagnosis(report, diagnosis);
    }
    return report;
  }
  if (!options.appCheck || target.scheme === null) {
    socket.destroy();
    return report;
  }
  report.app = await appCheck(socket, target, {
    scheme: target.scheme,
    path: target.path,
    ca: options.ca,
    expectIssuer: options.expectIssuer,
    timeoutMs: chain.options.timeoutMs,
    userAgent: options.userAgent,
  });
  if (report.app.error) {
    report.status = 'app-failed';
    report.exitCode = EXIT.unreachable;
    report.diagnosis = afterTunnelDiagnosis(chain, report);
  }
  return report;
}
