// One direction of an emulated slow link: every chunk is written `delayMs` after it arrived,
// in order. setTimeout alone fires up to ~1 ms late, and a chain setup crosses links dozens
// of times, so the timer wakes a little early and setImmediate spins the last stretch.
import { performance } from 'node:perf_hooks';

const EARLY_MS = 1.5;

export class DelayedWriter {
  #queue = [];
  #armed = false;

  /** `notBefore` (performance.now() ms): nothing is delivered before it plus the delay. */
  constructor(dest, delayMs, notBefore = 0) {
    this.dest = dest;
    this.delayMs = delayMs;
    this.notBefore = notBefore;
  }

  /** A chunk, or null for the end of the stream (delayed like data, so it stays in order). */
  push(chunk) {
    const due = Math.max(performance.now(), this.notBefore) + this.delayMs;
    this.#queue.push({ due, chunk });
    if (!this.#armed) this.#arm();
  }

  #arm() {
    const head = this.#queue[0];
    if (!head) {
      this.#armed = false;
      return;
    }
    this.#armed = true;
    const wait = head.due - performance.now();
    if (wait > EARLY_MS) setTimeout(() => this.#flush(), wait - EARLY_MS);
    else setImmediate(() => this.#flush());
  }

  #flush() {
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0].due <= now) {
      const { chunk } = this.#queue.shift();
      if (this.dest.destroyed) continue;
      if (chunk === null) this.dest.end();
      else this.dest.write(chunk);
    }
    this.#arm();
  }
}
