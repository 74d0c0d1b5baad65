/** Colors for terminals only: never when the stream is not a TTY, never with NO_COLOR set. */
import { stripVTControlCharacters } from 'node:util';

export interface Style {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;

export function createStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  // https://no-color.org: any non-empty value disables color.
  const enabled = stream.isTTY === true && !env.NO_COLOR;
  const paint =
    (name: keyof typeof CODES) =>
    (text: string): string =>
      enabled ? `\x1b[${CODES[name][0]}m${text}\x1b[${CODES[name][1]}m` : text;
  return {
    enabled,
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    dim: paint('dim'),
    bold: paint('bold'),
  };
}

/** Printed width of a string that may hold color codes. */
export function visibleWidth(text: string): number {
  return stripVTControlCharacters(text).length;
}
