import diagnostics from 'node:diagnostics_channel';
import { CHANNELS, type TunnelInfo } from '../../src/index.js';

/** The part of an OpenTelemetry Tracer (@opentelemetry/api) this recipe uses. */
export interface Span {
  setAttribute(key: string, value: string | number): unknown;
  addEvent(name: string, attributes?: Record<string, string | number>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
export interface Tracer {
  startSpan(name: string, options?: { attributes?: Record<string, string | number> }): Span;
}

const ERROR = 2; // SpanStatusCode.ERROR

/** One span per tunnel, from opening to close, with an event per hop. Returns a function that stops. */
export function traceTunnels(tracer: Tracer): () => void {
  const spans = new Map<number, Span>();
  type Event = { tunnel: TunnelInfo } & Record<string, unknown>;
  const handlers: Record<string, (message: unknown) => void> = {
    [CHANNELS.start]: (m) => {
      const { tunnel } = m as Event;
      const attributes = { 'sockschain.hops': tunnel.hops.length, 'server.address': tunnel.target ?? '' };
      spans.set(tunnel.id, tracer.startSpan('sockschain tunnel', { attributes }));
    },
    [CHANNELS.hopConnected]: (m) => {
      const { tunnel, hopIndex, hop, durationMs } = m as Event;
      spans.get(tunnel.id)?.addEvent('hop connected', {
        'sockschain.hop.index': hopIndex as number,
        'sockschain.hop': hop as string,
        'sockschain.hop.duration_ms': durationMs as number,
      });
    },
    [CHANNELS.hopFailed]: (m) => {
      const { tunnel, hopIndex, hop, code } = m as Event;
      spans.get(tunnel.id)?.addEvent('hop failed', {
        'sockschain.hop.index': hopIndex as number,
        'sockschain.hop': hop as string,
        'error.type': String(code),
      });
    },
    [CHANNELS.failed]: (m) => {
      const { tunnel, code } = m as Event;
      const span = spans.get(tunnel.id);
      spans.delete(tunnel.id);
      span?.setAttribute('error.type', String(code));
      span?.setStatus({ code: ERROR, message: String(code) });
      span?.end();
    },
    [CHANNELS.closed]: (m) => {
      const { tunnel, bytesUp, bytesDown, reason } = m as Event;
      const span = spans.get(tunnel.id);
      spans.delete(tunnel.id);
      span?.setAttribute('sockschain.bytes_up', bytesUp as number);
      span?.setAttribute('sockschain.bytes_down', bytesDown as number);
      span?.setAttribute('sockschain.close_reason', reason as string);
      span?.end();
    },
  };
  for (const [name, handler] of Object.entries(handlers)) diagnostics.subscribe(name, handler);
  return () => {
    for (const [name, handler] of Object.entries(handlers)) diagnostics.unsubscribe(name, handler);
  };
}
