/**
 * The agent serves node:http and node:https alike: the protocol and default port that
 * ClientRequest reads from it, and isSecureEndpoint, must name the module that made the
 * request (as agent-base's stack test did), without agent-base's stack text.
 */
import http from 'node:http';
import https from 'node:https';
import type { AgentConnectOpts } from 'agent-base';
import { describe, expect, it } from 'vitest';
import { ChainAgent } from '../../../src/adapters/http-agent.js';
import { httpsOnStack, secureFromOptions } from '../../../src/adapters/secure-endpoint.js';
import { Chain } from '../../../src/index.js';

/** Records what node:http hands the agent; never opens a tunnel. */
class Recorder extends ChainAgent {
  readonly seen: AgentConnectOpts[] = [];
  override addRequest(_req: http.ClientRequest, options: AgentConnectOpts): void {
    this.seen.push(options);
  }
}

function recorder(): Recorder {
  return new Recorder(new Chain(['socks5://127.0.0.1:9']), { keepAlive: true });
}

describe('requests through node:http and node:https with one agent', () => {
  it('takes the protocol and default port of the module that made the request', () => {
    const agent = recorder();
    const plain = http.request('http://example.test/a', { agent });
    const secure = https.request('https://example.test/b', { agent });
    expect(plain.protocol).toBe('http:');
    expect(secure.protocol).toBe('https:');
    expect(agent.seen.map((options) => options.port)).toEqual([80, 443]);
    expect(plain.getHeader('host')).toBe('example.test');
    expect(secure.getHeader('host')).toBe('example.test');
    expect(agent.seen.map((options) => agent.isSecureEndpoint(options))).toEqual([false, true]);
  });

  it('keeps an explicit port, in the Host header too', () => {
    const agent = recorder();
    const secure = https.request('https://example.test:80/', { agent });
    const plain = http.request('http://example.test:443/', { agent });
    expect(agent.seen.map((options) => options.port)).toEqual([80, 443]);
    expect(secure.getHeader('host')).toBe('example.test:80');
    expect(plain.getHeader('host')).toBe('example.test:443');
  });

  it('tells the module from options without a protocol (host and path only)', () => {
    const agent = recorder();
    https.request({ host: 'example.test', path: '/', agent });
    http.request({ host: 'example.test', path: '/', agent });
    expect(agent.seen.map((options) => options.port)).toEqual([443, 80]);
    expect(agent.seen.map((options) => agent.isSecureEndpoint(options))).toEqual([true, false]);
  });

  it('refuses a protocol the module does not speak, as node:http does', () => {
    const agent = recorder();
    expect(() => http.request({ protocol: 'https:', host: 'example.test', agent })).toThrow(
      /Protocol "https:" not supported/,
    );
  });

  it('answers http: outside a request, and keeps a protocol or port set by the user', () => {
    const agent = recorder();
    expect(agent.protocol).toBe('http:');
    expect(agent.defaultPort).toBe(80);
    agent.protocol = 'https:';
    expect(agent.defaultPort).toBe(443);
    agent.defaultPort = 8443;
    expect(agent.defaultPort).toBe(8443);
  });
});

describe('secure-endpoint helpers', () => {
  it('reads secureEndpoint, then protocol, then node:https’s _defaultAgent', () => {
    expect(secureFromOptions({ secureEndpoint: true, protocol: 'http:' })).toBe(true);
    expect(secureFromOptions({ protocol: 'https:' })).toBe(true);
    expect(secureFromOptions({ protocol: 'http:', _defaultAgent: https.globalAgent })).toBe(false);
    expect(secureFromOptions({ _defaultAgent: https.globalAgent })).toBe(true);
    expect(secureFromOptions({ _defaultAgent: http.globalAgent })).toBe(false);
    expect(secureFromOptions({})).toBeUndefined();
    expect(secureFromOptions(undefined)).toBeUndefined();
  });

  it('leaves Error.stackTraceLimit and Error.prepareStackTrace as they were', () => {
    const limit = Error.stackTraceLimit;
    const prepare = Error.prepareStackTrace;
    expect(httpsOnStack(10)).toBe(false);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(Error.prepareStackTrace).toBe(prepare);
  });
});
