// Each benchmark writes bench/results/NAME.json (through a .tmp file, so an interrupted run
// never leaves half a file): its figures plus the machine they were measured on.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { machine } from './machine.mjs';

const DIR = new URL('../results/', import.meta.url);

export function writeResults(name, data) {
  mkdirSync(DIR, { recursive: true });
  const file = new URL(`${name}.json`, DIR);
  const tmp = new URL(`${name}.json.tmp`, DIR);
  const body = { benchmark: name, date: new Date().toISOString(), machine: machine(), ...data };
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(tmp, file);
  console.log(`\nwrote bench/results/${name}.json`);
}
