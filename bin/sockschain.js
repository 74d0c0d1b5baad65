#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// A reader that goes away early (`sockschain check … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`sockschain: ${error?.message ?? error}\n`);
    process.exitCode = 70;
  },
);
