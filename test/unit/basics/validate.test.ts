/** The validation kit: one INVALID_CONFIG, and the numeric checks at every boundary. */
import { describe, expect, it } from 'vitest';
import { ChainError } from '../../../src/errors.js';
import {
  checkNumber,
  describeRule,
  fits,
  integer,
  invalid,
  milliseconds,
  numberFromText,
  PORT,
  parseWhole,
} from '../../../src/validate.js';

/** The error `check` throws (it must throw). */
function thrown(check: () => unknown): ChainError {
  try {
    check();
  } catch (error) {
    return error as ChainError;
  }
  throw new Error('expected an INVALID_CONFIG');
}

describe('invalid', () => {
  it('is a ChainError INVALID_CONFIG in phase config, with no hop unless given', () => {
    const error = invalid('mode must be one of …');
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', phase: 'config', hopIndex: -1, stage: undefined });
    expect(error.message).toBe('mode must be one of …');
    expect(invalid('bad port', { hopIndex: 2, hop: 'socks5://h:0' })).toMatchObject({
      hopIndex: 2,
      hop: 'socks5://h:0',
    });
  });
});

describe('integer', () => {
  const rule = { name: 'chainLength', min: 1, max: 3, maxLabel: 'the number of hops (3)' };

  it.each([1, 2, 3])('accepts %s within [min, max]', (value) => {
    expect(integer(value, rule)).toBe(value);
  });

  it.each([
    [0, 'got 0'],
    [4, 'got 4'],
    [1.5, 'got 1.5'],
    [Number.NaN, 'got NaN'],
    [Number.POSITIVE_INFINITY, 'got Infinity'],
    ['2', 'got "2"'],
    [null, 'got null'],
    [undefined, 'got undefined'],
    [{}, 'got object'],
  ])('refuses %s, naming the setting, the range and the value', (value, got) => {
    const error = thrown(() => integer(value, rule));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(`chainLength must be a whole number from 1 to the number of hops (3), ${got}`);
  });

  it('without max: min is inclusive, and min 0 is just "a whole number"', () => {
    expect(integer(0, { name: 'retries', min: 0 })).toBe(0);
    expect(thrown(() => integer(-1, { name: 'retries', min: 0 })).message).toBe(
      'retries must be a whole number, got -1',
    );
    expect(integer(1, { name: 'tolerance', min: 1 })).toBe(1);
    expect(thrown(() => integer(0, { name: 'tolerance', min: 1 })).message).toBe(
      'tolerance must be a whole number >= 1, got 0',
    );
  });
});

describe('milliseconds', () => {
  it('positive by default: 0 and below refused, fractions accepted', () => {
    expect(milliseconds(0.5, { name: 'timeoutMs' })).toBe(0.5);
    expect(milliseconds(30_000, { name: 'timeoutMs' })).toBe(30_000);
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      expect(thrown(() => milliseconds(value, { name: 'timeoutMs' })).message).toMatch(
        /^timeoutMs must be a positive number of ms, got /,
      );
    }
  });

  it('zeroOk: 0 accepted, below refused', () => {
    expect(milliseconds(0, { name: 'cooldownMs', zeroOk: true })).toBe(0);
    expect(thrown(() => milliseconds(-0.1, { name: 'cooldownMs', zeroOk: true })).message).toBe(
      'cooldownMs must be a non-negative number of ms, got -0.1',
    );
  });
});

describe('checkNumber', () => {
  it('real numbers with a lower bound', () => {
    expect(checkNumber(1, { name: 'retries.factor', min: 1 })).toBe(1);
    expect(checkNumber(1.5, { name: 'retries.factor', min: 1 })).toBe(1.5);
    expect(thrown(() => checkNumber(0.99, { name: 'retries.factor', min: 1 })).message).toBe(
      'retries.factor must be a number >= 1, got 0.99',
    );
  });

  it('a long string is shortened in the message', () => {
    expect(thrown(() => checkNumber('x'.repeat(100), { name: 'n' })).message).toMatch(/got "x{40}…"$/);
  });
});

describe('numberFromText', () => {
  const rule = { name: 'SOCKSCHAIN_TIMEOUT_MS', whole: true, min: 1 };

  it('reads decimal digits only', () => {
    expect(numberFromText('1', rule)).toBe(1);
    expect(numberFromText('4000', rule)).toBe(4000);
  });

  it.each(['0', '-1', '1.5', '1e3', '0x10', ' 5', '', 'two', undefined])(
    'refuses %j, quoting the text as given',
    (text) => {
      expect(thrown(() => numberFromText(text, rule)).message).toBe(
        `SOCKSCHAIN_TIMEOUT_MS must be a whole number >= 1, got ${JSON.stringify(text ?? '')}`,
      );
    },
  );

  it('parseWhole: the number, or undefined for anything but digits', () => {
    expect(parseWhole('080')).toBe(80);
    for (const text of ['', ' ', '1e1', '-1', '1.0', undefined]) expect(parseWhole(text)).toBeUndefined();
  });
});

describe('fits and PORT', () => {
  it('ports are 1-65535, whole', () => {
    expect([1, 80, 65535].every((port) => fits(port, PORT))).toBe(true);
    expect([0, 65536, 80.5, Number.NaN, '80', undefined].some((port) => fits(port, PORT))).toBe(false);
  });
});

describe('describeRule', () => {
  it.each([
    [{ unit: 'ms', min: 0, positive: true }, 'a positive number of ms'],
    [{ unit: 'ms', min: 0 }, 'a non-negative number of ms'],
    [{ whole: true, min: 1, unit: 'ms' }, 'a whole number of ms >= 1'],
    [{ whole: true, positive: true }, 'a whole number >= 1'],
    [{ whole: true }, 'a whole number'],
    [PORT, 'a whole number from 1 to 65535'],
    [{ min: 1 }, 'a number >= 1'],
    [{}, 'a number'],
  ] as const)('%o: %s', (rule, text) => {
    expect(describeRule(rule)).toBe(text);
  });
});
