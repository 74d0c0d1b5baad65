// Servers for the benchmarks run in child processes (bench/servers/*.mjs), so that their
// work and timers never share the measured client's event loop or CPU accounting.
import { fork } from 'node:child_process';
import { once } from 'node:events';

const SERVERS = new URL('../servers/', import.meta.url);

/** Starts bench/servers/NAME.mjs with `spec`; resolves once it reports its ports. */
export async function startChild(name, spec) {
  const child = fork(new URL(`${name}.mjs`, SERVERS), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Not the parent's flags (--cpu-prof, --expose-gc): the servers are not what is measured.
    execArgv: [],
  });
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`bench server ${name} exited with ${code} before it was ready`);
    }),
  ]);
  return {
    ports: message.ports,
    pid: child.pid,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
