// Opens tunnels as fast as allowed, `inFlight` at a time, and reports the rate and the client
// CPU per tunnel (this process's user + system time, which includes closing each tunnel).
import { performance } from 'node:perf_hooks';

export async function openMany(open, target, { count, inFlight }) {
  let next = 0;
  let errors = 0;
  let firstError;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const socket = await open(target);
        socket.destroy();
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (count / ms) * 1000,
    cpuUsPerTunnel: (used.user + used.system) / count,
    errors,
    firstError: firstError && String(firstError.message ?? firstError),
  };
}
