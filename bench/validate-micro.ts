/**
 * Validation cost per resource type, without a server or a database: builds the validator as the
 * server does and validates the resources of a generated library's Bundles. Costs are CPU time
 * of this process (process.cpuUsage), so that other work on the machine changes them little.
 *
 *   npx tsx bench/validate-micro.ts [--size 10k] [--rounds 3]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4';
import { createValidator } from '../src/fhir/validation';
import { readResources } from '../src/content/read-resources';
import { parseSize, planLibrary, writeLibraryFiles } from './generate-library';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const plan = planLibrary({ total: parseSize(option('size', '10k')), seed: 'bench', patientShare: 0.8 });
  const library = await writeLibraryFiles(plan);
  const resources: Resource[] = [];
  for (const file of library.files.filter((f) => path.basename(f).startsWith('bundle-'))) {
    const bundle = JSON.parse(await readFile(file, 'utf8')) as Bundle;
    for (const entry of bundle.entry ?? []) if (entry.resource) resources.push(entry.resource);
  }
  const root = path.join(__dirname, '..');
  const items = [
    ...(await readResources(path.join(root, 'profiles'))),
    ...(await readResources(path.join(root, 'content'))),
  ];
  const conformance = items.map((i) => i.resource).filter((r): r is Resource => r !== undefined);
  const t = performance.now();
  const validator = createValidator(conformance);
  process.stdout.write(`validator built in ${(performance.now() - t).toFixed(0)} ms\n`);
  const rounds = Number(option('rounds', '3'));
  const byType = new Map<string, { n: number; ms: number; issues: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const resource of resources) {
      const before = process.cpuUsage();
      const issues = validator.validate(resource);
      const used = process.cpuUsage(before);
      const ms = (used.user + used.system) / 1000;
      if (round === 0) continue; // warm-up
      const entry = byType.get(resource.resourceType) ?? { n: 0, ms: 0, issues: 0 };
      entry.n += 1;
      entry.ms += ms;
      entry.issues += issues.filter((i) => i.severity === 'error').length;
      byType.set(resource.resourceType, entry);
    }
  }
  let n = 0;
  let ms = 0;
  for (const [type, e] of [...byType].sort((a, b) => b[1].ms - a[1].ms)) {
    n += e.n;
    ms += e.ms;
    process.stdout.write(
      `${type.padEnd(24)} ${String(e.n / (rounds - 1)).padStart(6)} resources  ${(e.ms / e.n).toFixed(3)} ms CPU each  ${(e.ms / (rounds - 1)).toFixed(0).padStart(6)} ms per round  errors ${e.issues}\n`,
    );
  }
  process.stdout.write(
    `all: ${(ms / n).toFixed(3)} ms of CPU per resource = ${Math.round(n / (ms / 1000))} resources/s on one core\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
