export { Chain, type ChainOptions, type ConnectOptions } from './chain.js';
export type { TraceEntry } from './dial.js';
export type { DnsMode } from './dns.js';
export { ChainError, type ChainErrorCode, ERROR_CODES, isChainError, type Phase } from './errors.js';
export { formatTarget, parseTarget, type Target, type TargetInput } from './target.js';
export {
  type Hop,
  type HopInput,
  type HopProtocol,
  type HopSpec,
  type HopTlsOptions,
  parseHop,
  redactUrl,
} from './url.js';
