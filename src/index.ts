export { ChainSocket, type ChainSocketOptions } from './adapters/chain-socket.js';
export { ChainDispatcher, type ChainDispatcherOptions } from './adapters/dispatcher.js';
export { ChainAgent, type ChainAgentOptions } from './adapters/http-agent.js';
export { type Blame, blame, CAUSES, type Cause, type Link, linkLabel, type Side } from './blame.js';
export { type NoProxy, type NoProxyInput, parseNoProxy, shouldBypass } from './chain/bypass.js';
export { Chain, type ChainOptions, type ConnectOptions, type ResolvedChainOptions } from './chain/chain.js';
export type { DnsMode } from './chain/dns-rule.js';
export { CHANNELS, type TunnelInfo } from './chain/events.js';
export type { HealthCheckOptions, HealthEvent, HopHealth } from './chain/health.js';
export { CHAIN_MODES, type ChainMode } from './chain/hop-selector.js';
export { NEVER_RETRIED, type ResolvedRetryOptions, type RetryOptions } from './chain/retry.js';
export { BUCKET_BOUNDS_MS, type ChainStats, type HopStats } from './chain/stats.js';
export type { TargetTlsOptions } from './chain/target-trust.js';
export { type ConfigFile, loadConfigFile } from './config/config-file.js';
export { type ProxychainsConf, parseProxychainsConf } from './config/proxychains-conf.js';
export type { TraceEntry } from './dial/dial.js';
export { connectDirect, type DirectOptions } from './dial/direct.js';
export type { PipelineMode } from './dial/pipeline.js';
export {
  ChainError,
  type ChainErrorCode,
  ERROR_CODES,
  type FailureReason,
  isChainError,
  type Phase,
  type Stage,
} from './errors.js';
export {
  type Hop,
  type HopInput,
  type HopProtocol,
  type HopSpec,
  type HopTlsOptions,
  parseHop,
  redactUrl,
} from './hop.js';
export type {
  AuthScheme,
  HopAuth,
  HopAuthSpec,
  ProxyAuthAnswer,
  ProxyAuthHook,
  ProxyAuthRequest,
  ProxyChallenge,
} from './hop-auth.js';
export { type DigestAlgorithm, digestAuthorization } from './protocols/auth/digest.js';
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
export { formatTarget, parseTarget, type Target, type TargetInput } from './target.js';
