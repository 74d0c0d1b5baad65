export { ChainSocket, type ChainSocketOptions } from './adapters/chain-socket.js';
export { ChainDispatcher, type ChainDispatcherOptions } from './adapters/dispatcher.js';
export { ChainAgent, type ChainAgentOptions } from './adapters/http-agent.js';
export { type Blame, blame, CAUSES, type Cause, type Link, linkLabel, type Side } from './blame.js';
export { Chain, type ChainOptions, type ConnectOptions, type ResolvedChainOptions } from './chain.js';
export { type ConfigFile, loadConfigFile } from './config/config-file.js';
export { type NoProxy, type NoProxyInput, parseNoProxy, shouldBypass } from './config/no-proxy.js';
export { type ProxychainsConf, parseProxychainsConf } from './config/proxychains-conf.js';
export { CHANNELS, type TunnelInfo } from './diagnostics.js';
export type { TraceEntry } from './dial.js';
export { connectDirect, type DirectOptions } from './direct.js';
export type { DnsMode } from './dns.js';
export {
  ChainError,
  type ChainErrorCode,
  ERROR_CODES,
  type FailureReason,
  isChainError,
  type Phase,
  type Stage,
} from './errors.js';
export type { HealthCheckOptions, HealthEvent } from './health.js';
export type {
  AuthScheme,
  HopAuth,
  HopAuthSpec,
  ProxyAuthAnswer,
  ProxyAuthHook,
  ProxyAuthRequest,
  ProxyChallenge,
} from './hop-auth.js';
export { CHAIN_MODES, type ChainMode } from './modes.js';
export type { PipelineMode } from './pipeline.js';
export { type DigestAlgorithm, digestAuthorization } from './protocols/auth/digest.js';
export { NEVER_RETRIED, type ResolvedRetryOptions, type RetryOptions } from './retry.js';
export {
  type ClientProtocol,
  type ConnectionRecord,
  formatRecord,
  ListenError,
  type ListenerAuth,
  type ListenerFailure,
  type ProxyServer,
  type ProxyServerOptions,
  type ServeHandle,
  type ServeOptions,
  startProxyServer,
  type UpstreamConnect,
} from './server/serve.js';
export { BUCKET_BOUNDS_MS, type ChainStats, type HopStats } from './stats.js';
export { formatTarget, parseTarget, type Target, type TargetInput } from './target.js';
export type { TargetTlsOptions } from './target-trust.js';
export {
  type Hop,
  type HopInput,
  type HopProtocol,
  type HopSpec,
  type HopTlsOptions,
  parseHop,
  redactUrl,
} from './url.js';
