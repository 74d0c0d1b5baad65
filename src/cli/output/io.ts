/** What a command needs from the outside world; tests pass their own streams and env. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, unreachable: 1, hopFailed: 2, usage: 64, software: 70 } as const;

export type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Thrown for bad command lines: printed with the command's usage, exit 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}
