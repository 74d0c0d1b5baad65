/**
 * probe's diagnosis of a failed tunnel: blame.ts's verdict on the failure, then, where one
 * failure cannot tell causes apart, short follow-up probes within the rest of the deadline
 * (a whole probe ends within twice --timeout): the same CONNECT without credentials, a SOCKS5
 * greeting alone, the same handshake for a destination the hop answers by itself (the canary). The result names
 * the link, the cause, the evidence and the remedy (docs/cli.md, Diagnosis).
 */
import { blame, type Cause, type Link, linkLabel } from '../../blame.js';
import type { Chain } from '../../chain/chain.js';
import type { ChainError } from '../../errors.js';
import type { Hop } from '../../hop.js';
import { type AfterTunnel, remedyFor } from '../../remedies.js';
import { formatTarget } from '../../target.js';
import { EXIT } from '../output/io.js';
import { canary } from './canary.js';
import {
  ask,
  connectWithoutCredentials,
  httpStatus,
  type Outcome,
  socks5Greeting,
  socksMethod,
} from './follow-up.js';
import type { Diagnosis, Evidence, TargetReport } from './report.js';

export type { Diagnosis, Evidence } from './report.js';

export interface DiagnoseInput {
  chain: Chain;
  /** The hops the attempt went through, as indices into chain.hops, in order. */
  path: readonly number[];
  target: string;
  failure: ChainError;
  totalMs: number;
  /** performance.now() by which every follow-up must be over. */
  deadline: number;
}

/** Follow-ups stop this long before the deadline, to leave time for the report. */
const MARGIN_MS = 50;

export async function diagnose(input: DiagnoseInput): Promise<Diagnosis> {
  const { chain, path, failure } = input;
  const before = (index: number): number | null => {
    const at = path.indexOf(index);
    return at > 0 ? (path[at - 1] ?? null) : null;
  };
  const shape = { hopCount: chain.hops.length, finalTarget: input.target, before };
  // The last hop of the attempt: in modes that pick hops, not necessarily the last of the chain.
  const lastHop = path[path.length - 1] ?? chain.hops.length - 1;
  const verdict = blame(failure, { ...shape, hopCount: lastHop + 1 });
  const evidence: Evidence[] = [
    { step: `tunnel to ${input.target}`, result: describeFailure(failure), ms: Math.round(input.totalMs) },
  ];
  let { cause, link } = verdict;
  const budget = () => input.deadline - performance.now() - MARGIN_MS;
  const hop = (index: number) => chain.hops[index] as Hop;
  const prefixTo = (index: number) => path.slice(0, path.indexOf(index) + 1);
  const note = (step: string, outcome: Outcome) =>
    evidence.push({ step, result: `${outcome.kind}: ${outcome.detail}`, ms: outcome.ms });

  /** Does hop `index` answer a request at all, and (HTTP) without the credentials? */
  const askHop = async (index: number, dest: string) => {
    const h = hop(index);
    const time = budget();
    if (time < 20) return {};
    const withCreds = hasCredentials(h);
    const own = { host: h.host, port: h.port };
    const [plain, canaryOutcome] = await Promise.all([
      isHttp(h) && withCreds
        ? ask(chain, prefixTo(index), connectWithoutCredentials(dest), time, httpStatus)
        : Promise.resolve(undefined),
      canary(chain, prefixTo(index), own, time),
    ]);
    const name = `hop ${index + 1}`;
    if (plain) note(`the same CONNECT to ${name} without credentials`, plain);
    note(`canary: ${name}'s own handshake for a destination it answers by itself`, canaryOutcome);
    return { plain, canary: canaryOutcome };
  };

  // Follow-ups need the hop concerned on the attempt's path (not a direct connection).
  const onPath = failure.hopIndex >= 0 && path.includes(failure.hopIndex);
  if (!onPath) {
    // The first verdict stands.
  } else if (cause === 'target-filtered' || (cause === 'target-refused' && !failure.replyStarted)) {
    // Silence (or a bare close) after asking the last hop for the target: the target, or the
    // request itself (its credentials, or the protocol) dropped on the way to that hop?
    const index = failure.hopIndex;
    const { plain, canary: c } = await askHop(index, input.target);
    const atHop = { from: before(index), to: index };
    // The canary carries the credentials: when it got an answer in the protocol, they passed,
    // and a 407 to the bare CONNECT only says the hop wants them.
    if (plain?.inProtocol && !c?.inProtocol) {
      cause = 'credentials-blocked';
      link = atHop;
    } else if (c && c.kind !== 'answered' && c.kind !== 'unreached') {
      cause = 'protocol-blocked';
      link = atHop;
    }
  } else if (cause === 'filtered' && link.from !== null) {
    // Hop j never said whether it reached hop k: the link j → k, or j's own request dropped?
    const j = link.from;
    const next = hop(failure.hopIndex);
    const { plain, canary: c } = await askHop(j, formatTarget({ host: next.host, port: next.port }));
    // The canary carries the credentials: when it got an answer in the protocol, they passed,
    // and a 407 to the bare CONNECT only says the hop wants them.
    if (plain?.inProtocol && !c?.inProtocol) {
      cause = 'credentials-blocked';
      link = { from: before(j), to: j };
    } else if (c && c.kind !== 'answered' && c.kind !== 'unreached') {
      cause = 'protocol-blocked';
      link = { from: before(j), to: j };
    }
  } else if (cause === 'protocol-blocked' && failure.hopIndex >= 0) {
    const index = failure.hopIndex;
    const h = hop(index);
    const time = budget();
    if (isHttp(h) && hasCredentials(h) && time >= 20) {
      const dest = failure.target ?? input.target;
      const plain = await ask(chain, prefixTo(index), connectWithoutCredentials(dest), time, httpStatus);
      note(`the same CONNECT to hop ${index + 1} without credentials`, plain);
      if (plain.inProtocol) cause = 'credentials-blocked';
    } else if (h.protocol === 'socks5' && time >= 20) {
      const greeting = await ask(
        chain,
        prefixTo(index),
        socks5Greeting(hasCredentials(h)),
        time,
        socksMethod,
      );
      note(`SOCKS5 greeting alone to hop ${index + 1}`, greeting);
    }
  } else if (cause === 'credentials-blocked' && failure.hopIndex >= 0) {
    const index = failure.hopIndex;
    const time = budget();
    if (hop(index).protocol === 'socks5' && time >= 20) {
      const greeting = await ask(chain, prefixTo(index), socks5Greeting(true), time, socksMethod);
      note(`SOCKS5 greeting alone to hop ${index + 1}`, greeting);
    }
  }
  return {
    link: { ...link, label: linkLabel(link) },
    cause,
    evidence,
    remedy: remedyFor(cause, failure, link),
  };
}

/** The diagnosis decides the exit status, the hint and the failing row of the table. */
export function applyDiagnosis(report: TargetReport, diagnosis: Diagnosis): void {
  report.diagnosis = diagnosis;
  const target = TARGET_CAUSES.has(diagnosis.cause) && diagnosis.link.to === null;
  report.status = target ? 'unreachable' : 'hop-failed';
  report.exitCode = target ? EXIT.unreachable : EXIT.hopFailed;
  if (report.error) report.error.hint = diagnosis.remedy;
  const blamed = diagnosis.link.to;
  if (blamed === null || !report.error) return;
  for (const row of report.hops) {
    if (row.index === blamed) {
      row.result = 'failed';
      row.code = report.error.code;
    } else if (row.result === 'failed') {
      row.result = 'ok';
      row.code = null;
    }
  }
}

const TARGET_CAUSES: ReadonlySet<Cause> = new Set([
  'target-filtered',
  'target-refused',
  'dns-failed',
  'tls-intercepted',
  'tls-untrusted',
  'tls-blocked',
  'unknown',
]);

/** After the tunnel was up: the app check's failure is the link from the last hop to the target. */
export function afterTunnelDiagnosis(chain: Chain, report: TargetReport): Diagnosis | null {
  const app = report.app;
  if (!app?.error) return null;
  const last = [...report.hops].reverse().find((hop) => hop.result === 'ok');
  const link: Link = { from: report.direct ? null : (last?.index ?? chain.hops.length - 1), to: null };
  const cause: Cause = AFTER_TUNNEL[app.error.kind];
  return {
    link: { ...link, label: linkLabel(link) },
    cause,
    evidence: [
      {
        step: `${app.scheme === 'https' ? 'TLS and ' : ''}HEAD to ${report.target} through the tunnel`,
        result: app.error.message,
        ms: app.ms,
      },
    ],
    remedy: app.error.hint,
  };
}

const AFTER_TUNNEL: Record<AfterTunnel, Cause> = {
  'unexpected-issuer': 'tls-intercepted',
  untrusted: 'tls-intercepted',
  'wrong-name': 'tls-untrusted',
  'tls-failed': 'tls-blocked',
  'no-http': 'unknown',
};

/** The original failure in a few words, from its typed fields. */
function describeFailure(error: ChainError): string {
  const where = error.hopIndex >= 0 ? ` at hop ${error.hopIndex + 1}` : '';
  const stage = error.stage ? ` (${error.stage})` : '';
  const what =
    error.reply ??
    (error.reason === 'silent'
      ? error.replyStarted
        ? 'the answer stopped'
        : 'no answer'
      : error.reason === 'reset'
        ? `reset${error.replyStarted ? '' : ' before any answer'}`
        : error.reason === 'closed'
          ? `closed${error.replyStarted ? '' : ' before any answer'}`
          : errnoText(error));
  return `${error.code}${where}${stage}: ${what}`;
}

function errnoText(error: ChainError): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : (error.reason ?? 'failed');
}

function hasCredentials(hop: Hop): boolean {
  return hop.username !== undefined || hop.password !== undefined;
}

function isHttp(hop: Hop): boolean {
  return hop.protocol === 'http' || hop.protocol === 'https';
}
