import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4';

export interface ReadItem {
  source: string;
  resource?: Resource;
  error?: string;
}

/**
 * Reads FHIR JSON from a file or directory: one resource per .json file, a Bundle's
 * entries, or NDJSON (.ndjson, one resource per line). A file that cannot be read is
 * reported as an item with an error, and reading goes on.
 */
export async function readResources(target: string): Promise<ReadItem[]> {
  const info = await stat(target);
  if (info.isDirectory()) {
    const names = (await readdir(target)).filter((n) => n !== 'package.json' && !n.startsWith('.')).sort();
    const out: ReadItem[] = [];
    for (const name of names) {
      const full = path.join(target, name);
      const s = await stat(full);
      if (s.isDirectory()) out.push(...(await readResources(full)));
      else if (/\.(json|ndjson)$/i.test(name)) out.push(...(await readFileItems(full)));
    }
    return out;
  }
  return readFileItems(target);
}

async function readFileItems(file: string): Promise<ReadItem[]> {
  const text = await readFile(file, 'utf8');
  if (file.toLowerCase().endsWith('.ndjson')) {
    return text
      .split('\n')
      .map((line, i) => ({ line: line.trim(), i }))
      .filter(({ line }) => line !== '')
      .map(({ line, i }) => parseItem(`${file}:${i + 1}`, line));
  }
  const item = parseItem(file, text);
  if (item.resource?.resourceType === 'Bundle' && !['transaction', 'batch'].includes((item.resource as Bundle).type)) {
    return ((item.resource as Bundle).entry ?? []).map((e, i) =>
      e.resource ? { source: `${file}#entry[${i}]`, resource: e.resource } : { source: `${file}#entry[${i}]`, error: 'entry has no resource' },
    );
  }
  return [item];
}

function parseItem(source: string, text: string): ReadItem {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || typeof (value as Resource).resourceType !== 'string') {
      return { source, error: 'not a FHIR resource (no resourceType)' };
    }
    return { source, resource: value as Resource };
  } catch (error) {
    return { source, error: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
