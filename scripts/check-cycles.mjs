#!/usr/bin/env node
// Fails when the modules of src/ import each other in a cycle. Every relative import counts,
// `import type` included: a type cycle still means two files that cannot be read (or moved)
// one without the other, and it is how value cycles start. Floors import downwards only
// (docs/architecture.md).
//
// Imports are found with TypeScript's own pre-processor (already a dev dependency): static
// `import`/`export ... from`, `import type`, side-effect imports and `import('./x.js')`,
// never text inside comments or strings. Strongly connected components by Tarjan's
// algorithm; each one is printed with one cycle through it. Usage: node scripts/check-cycles.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** './x.js' from `file` → the .ts file it names (or undefined for packages and non-sources). */
function resolveImport(file, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(file), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  return candidates.find((path) => path.endsWith('.ts') && existsSync(path));
}

const files = sources(SRC).sort();
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    const target = resolveImport(file, fileName);
    if (target && target !== file) targets.add(target);
  }
  graph.set(file, [...targets].sort());
}

// Tarjan's strongly connected components (iterative: no recursion limit on deep chains).
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
for (const start of files) {
  if (index.has(start)) continue;
  const work = [{ node: start, next: 0 }];
  index.set(start, counter);
  low.set(start, counter++);
  stack.push(start);
  onStack.add(start);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    const edges = graph.get(frame.node) ?? [];
    if (frame.next < edges.length) {
      const to = edges[frame.next++];
      if (!index.has(to)) {
        index.set(to, counter);
        low.set(to, counter++);
        stack.push(to);
        onStack.add(to);
        work.push({ node: to, next: 0 });
      } else if (onStack.has(to)) {
        low.set(frame.node, Math.min(low.get(frame.node), index.get(to)));
      }
      continue;
    }
    work.pop();
    const parent = work[work.length - 1];
    if (parent) low.set(parent.node, Math.min(low.get(parent.node), low.get(frame.node)));
    if (low.get(frame.node) === index.get(frame.node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1) components.push(component.sort());
    }
  }
}

/** One cycle through `component`, from its first file back to it (breadth-first, shortest). */
function cycleIn(component) {
  const members = new Set(component);
  const [first] = component;
  const previous = new Map([[first, undefined]]);
  const queue = [first];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === first) {
        const path = [node];
        for (let at = previous.get(node); at !== undefined; at = previous.get(at)) path.unshift(at);
        return [...path, first];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return component;
}

const name = (file) => relative(ROOT, file);
if (components.length === 0) {
  console.log(`check-cycles: no import cycle among ${files.length} files of src/`);
  process.exit(0);
}
console.error(`check-cycles: ${components.length} import cycle(s) in src/ (type imports count too):`);
for (const component of components) {
  console.error(`\n  ${component.length} files: ${component.map(name).join(', ')}`);
  console.error(`  e.g. ${cycleIn(component).map(name).join('\n    → ')}`);
}
process.exit(1);
