/**
 * Whether a request of the http.Agent came through node:https or node:http. The same agent
 * serves both, and node:http's ClientRequest asks the agent itself (`agent.protocol` twice,
 * `agent.defaultPort` once, in its constructor, with nothing that says which module called).
 * agent-base answers by formatting a 10-frame stack trace and searching its text for
 * node:https: about 10 µs each time, some 30 µs of a keep-alive request's ~125 µs of client
 * CPU (profiled with --cpu-prof; https-proxy-agent, http-proxy-agent and socks-proxy-agent pay
 * it too). Here the question is answered from the request's options when there are any, and
 * otherwise from a few structured frames, never formatted: about a third of the cost.
 */
import http from 'node:http';

/** What agent-base and node:http put in a request's options that tells the module. */
export interface EndpointHints {
  secureEndpoint?: unknown;
  protocol?: unknown;
  /** Set by node:https's request() (to https.globalAgent), by nothing in node:http. */
  _defaultAgent?: unknown;
}

/** From the options alone, or undefined when they do not say. */
export function secureFromOptions(options: EndpointHints | undefined): boolean | undefined {
  if (!options) return undefined;
  if (typeof options.secureEndpoint === 'boolean') return options.secureEndpoint;
  if (typeof options.protocol === 'string') return options.protocol === 'https:';
  if (options._defaultAgent) return options._defaultAgent !== http.globalAgent;
  return undefined;
}

const structured = (_error: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames;

/**
 * Whether node:https is among the `depth` callers of the caller (agent-base's test, on
 * structured frames). A getter read by ClientRequest is 2 frames below https.request; the
 * few more leave room for subclasses that override it and call super.
 */
export function httpsOnStack(depth: number): boolean {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = depth;
    Error.prepareStackTrace = structured;
    Error.captureStackTrace(holder, httpsOnStack);
    const frames = holder.stack;
    return (
      Array.isArray(frames) && frames.some((frame: NodeJS.CallSite) => frame.getFileName() === 'node:https')
    );
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
}
