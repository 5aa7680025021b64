import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, Resource } from 'fhir/r4';

export interface ReadItem {
  source: string;
  resource?: Resource;
  error?: string;
}

/**
 * Reads FHIR JSON from a file or directory, one item at a time: one resource per .json file,
 * a Bundle's entries, or NDJSON (.ndjson, one resource per line). NDJSON is read line by line,
 * so a file of any size (a million resources is over a gigabyte, more than one JavaScript
 * string can hold) loads in bounded memory. A file or line that cannot be read is yielded as
 * an item with an error, and reading goes on.
 */
export async function* streamResources(target: string): AsyncGenerator<ReadItem> {
  const info = await stat(target);
  if (!info.isDirectory()) {
    yield* streamFileItems(target);
    return;
  }
  const names = (await readdir(target)).filter((n) => n !== 'package.json' && !n.startsWith('.')).sort();
  for (const name of names) {
    const full = path.join(target, name);
    const s = await stat(full);
    if (s.isDirectory()) yield* streamResources(full);
    else if (/\.(json|ndjson)$/i.test(name)) yield* streamFileItems(full);
  }
}

/** Every item of streamResources, in one array: for what is small (the library of profiles/ and content/). */
export async function readResources(target: string): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of streamResources(target)) out.push(item);
  return out;
}

async function* streamFileItems(file: string): AsyncGenerator<ReadItem> {
  if (file.toLowerCase().endsWith('.ndjson')) {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let number = 0;
    for await (const raw of lines) {
      number++;
      const line = raw.trim();
      if (line !== '') yield parseItem(`${file}:${number}`, line);
    }
    return;
  }
  const item = parseItem(file, await readFile(file, 'utf8'));
  if (item.resource?.resourceType === 'Bundle' && !['transaction', 'batch'].includes((item.resource as Bundle).type)) {
    const entries = (item.resource as Bundle).entry ?? [];
    for (const [i, e] of entries.entries()) {
      yield e.resource ? { source: `${file}#entry[${i}]`, resource: e.resource } : { source: `${file}#entry[${i}]`, error: 'entry has no resource' };
    }
    return;
  }
  yield item;
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
