// Shared knobs. BENCH_SCALE (default 1) scales counts and durations, for a quick look
// (BENCH_SCALE=0.2) or steadier figures (BENCH_SCALE=3); the committed results use 1.

export const SCALE = Number(process.env.BENCH_SCALE ?? 1) || 1;

export function scaled(n, min = 1) {
  return Math.max(min, Math.round(n * SCALE));
}

/** Credentials of the bench's own proxies. */
export const BENCH_AUTH = { username: 'bench', password: 'bench-secret' };
