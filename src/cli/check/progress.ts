/**
 * A one-line progress bar with counts and ETA, redrawn in place on a terminal. Nothing at
 * all when the stream is not a TTY, so piped and logged output stays clean.
 */
export interface Progress {
  update(done: number, ok: number, failed: number): void;
  finish(): void;
}

const WIDTH = 24;
const NONE: Progress = { update: () => {}, finish: () => {} };

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  total: number,
  now: () => number = () => performance.now(),
): Progress {
  if (stream.isTTY !== true || total === 0) return NONE;
  const began = now();
  let drawn = 0;
  let shown = false;
  return {
    update(done, ok, failed) {
      const t = now();
      // Redrawing at most every 100 ms keeps a fast run from flooding the terminal.
      if (done < total && t - drawn < 100) return;
      drawn = t;
      const filled = Math.round((done / total) * WIDTH);
      const bar = `${'='.repeat(filled)}${filled < WIDTH ? '>' : ''}`.padEnd(WIDTH).slice(0, WIDTH);
      const rate = done > 0 ? (t - began) / done : 0;
      const eta = done > 0 && done < total ? ` ETA ${formatSeconds(((total - done) * rate) / 1000)}` : '';
      stream.write(`\r\x1b[K[${bar}] ${done}/${total}  ok ${ok}  failed ${failed}${eta}`);
      shown = true;
    },
    finish() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}
