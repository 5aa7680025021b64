/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof`):
 * self time per function and per package or source folder, the largest first.
 *
 * Run: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/<pkg>` (scoped too), `src/<folder>`, `node:internal`, or the program's own state. */
export function groupOf(url: string, functionName: string): string {
  if (url === '') return functionName === '' ? '(anonymous)' : `(${functionName.replace(/[()]/g, '')})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const src = /\/(src|bench)\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2].replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

export function summarise(profile: Profile): {
  totalMs: number;
  functions: [string, number][];
  groups: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const functions = new Map<string, number>();
  const groups = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    totalMs += ms;
    const file = url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs, functions: sorted(functions), groups: sorted(groups) };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]');
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  const { totalMs, functions, groups } = summarise(JSON.parse(await readFile(file, 'utf8')) as Profile);
  const pct = (ms: number) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  process.stdout.write(
    `busy ${Math.round(totalMs)} ms (idle excluded)\n\nby package / folder (self time):\n`,
  );
  for (const [name, ms] of groups.slice(0, top)) process.stdout.write(`${pct(ms)}  ${name}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const [name, ms] of functions.slice(0, top)) process.stdout.write(`${pct(ms)}  ${name}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
