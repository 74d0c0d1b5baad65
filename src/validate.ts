/**
 * The validation kit: the one way a bad setting becomes an error (`invalid`: a ChainError
 * INVALID_CONFIG in phase 'config') and the one family of numeric checks, so that options,
 * environment variables, config files, proxychains directives and server settings all say
 * what they take in the same words: `timeoutMs must be a positive number of ms, got -1`.
 */
import { ChainError, describeValue } from './errors.js';

/** Typed facts an INVALID_CONFIG may carry besides its message. */
export interface InvalidFields {
  /** The hop at fault (0-based), for errors about one hop. */
  hopIndex?: number | undefined;
  /** That hop's URL, password redacted. */
  hop?: string | undefined;
  /** The target at fault, `host:port`. */
  target?: string | undefined;
}

/** The one INVALID_CONFIG: a setting that cannot work, said before anything is dialled. */
export function invalid(message: string, fields: InvalidFields = {}): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message, ...fields });
}

/** What a numeric setting accepts; the message is built from it. */
export interface NumberRule {
  /** How the message names the setting: an option (`timeoutMs`), a field (`retries.factor`), a variable. */
  name: string;
  /** Smallest value accepted (inclusive). */
  min?: number;
  /** Largest value accepted (inclusive). */
  max?: number;
  /** What `max` is, for the message: `the number of hops (3)`. */
  maxLabel?: string;
  /** Whole numbers only. */
  whole?: boolean;
  /** Above zero (zero itself refused). */
  positive?: boolean;
  /** The unit, said in the message: `a positive number of ms`. */
  unit?: 'ms';
}

/** A TCP port a hop or a listener is reached at. */
export const PORT = { whole: true, min: 1, max: 65535 } as const;

/** Whether `value` is a finite number the rule accepts (for callers that word their own message). */
export function fits(value: unknown, rule: Omit<NumberRule, 'name'>): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (rule.whole && !Number.isInteger(value)) return false;
  if (rule.positive && value <= 0) return false;
  if (rule.min !== undefined && value < rule.min) return false;
  return rule.max === undefined || value <= rule.max;
}

/**
 * Checks a number given in code or a file: returns it, or throws an INVALID_CONFIG naming the
 * setting, what it takes and what it got (`shown`: the text it was read from, if any).
 */
export function checkNumber(value: unknown, rule: NumberRule, shown: unknown = value): number {
  if (fits(value, rule)) return value;
  throw invalid(`${rule.name} must be ${describeRule(rule)}, got ${describeValue(shown)}`);
}

/** A whole number, e.g. `integer(n, { name: 'chainLength', min: 1, max: hops.length })`. */
export function integer(value: unknown, rule: Omit<NumberRule, 'whole'>): number {
  return checkNumber(value, { ...rule, whole: true });
}

/** A duration in ms: above zero, or zero too with `zeroOk` (a drain time, a cool-down). */
export function milliseconds(value: unknown, rule: { name: string; zeroOk?: boolean }): number {
  return checkNumber(value, { name: rule.name, min: 0, positive: !rule.zeroOk, unit: 'ms' });
}

/** The number written in `text` (decimal digits only), or undefined for anything else. */
export function parseWhole(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * A number read from text (an environment variable, a directive): decimal digits only, then
 * the rule; the message quotes the text as given.
 */
export function numberFromText(text: string | undefined, rule: NumberRule): number {
  return checkNumber(parseWhole(text), rule, text ?? '');
}

/** `a positive number of ms`, `a whole number >= 1`, `a whole number from 1 to 65535`... */
export function describeRule(rule: Omit<NumberRule, 'name'>): string {
  // A positive whole number is a whole number >= 1: say it the plainer way.
  const min = rule.whole && rule.positive ? Math.max(rule.min ?? 1, 1) : rule.min;
  const positive = rule.positive && !rule.whole;
  const adjective = rule.whole ? 'whole ' : positive ? 'positive ' : min === 0 ? 'non-negative ' : '';
  const noun = `a ${adjective}number${rule.unit ? ` of ${rule.unit}` : ''}`;
  if (rule.max !== undefined) return `${noun} from ${min ?? 0} to ${rule.maxLabel ?? rule.max}`;
  // A lower bound the adjective has not said already.
  const said = positive || min === undefined || min === 0;
  return said ? noun : `${noun} >= ${min}`;
}
