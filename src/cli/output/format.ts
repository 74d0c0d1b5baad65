/** The error lines every command prints for a failed tunnel: what happened, then the hint. */
import type { Style } from './style.js';

export interface FailureFacts {
  code: string;
  message: string;
  hint: string;
}

export function failureLines(error: FailureFacts, style: Style, indent = ''): string {
  return (
    `${indent}${style.red(`error: ${error.code}`)}: ${error.message}\n` +
    `${indent}${style.yellow('hint:')} ${error.hint}\n`
  );
}
