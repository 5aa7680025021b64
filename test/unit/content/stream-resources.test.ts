import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readResources, streamResources } from '../../../src/content/read-resources';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stream-resources-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const summary = (items: Awaited<ReturnType<typeof readResources>>) =>
  items.map((i) => [path.relative(dir, i.source), i.resource ? `${i.resource.resourceType}/${i.resource.id ?? '-'}` : `error: ${i.error}`]);

test('NDJSON is read line by line: blank lines skipped, CRLF accepted, each line named by its number', async () => {
  const file = path.join(dir, 'patients.ndjson');
  await writeFile(
    file,
    [
      '{"resourceType":"Patient","id":"a"}',
      '',
      '{"resourceType":"Patient","id":"b"}\r',
      '{"resourceType":',
      '{"id":"no-type"}',
      '   ',
      '{"resourceType":"Patient","id":"c"}',
    ].join('\n'),
  );
  const items = await readResources(file);
  expect(summary(items)).toEqual([
    ['patients.ndjson:1', 'Patient/a'],
    ['patients.ndjson:3', 'Patient/b'],
    ['patients.ndjson:4', expect.stringMatching(/^error: invalid JSON/)],
    ['patients.ndjson:5', 'error: not a FHIR resource (no resourceType)'],
    ['patients.ndjson:7', 'Patient/c'],
  ]);
});

test('a directory is read in name order, recursively; collection Bundles give their entries, batch and transaction Bundles stay whole', async () => {
  await mkdir(path.join(dir, 'b-sub'));
  await writeFile(path.join(dir, 'a.json'), JSON.stringify({ resourceType: 'Questionnaire', id: 'q' }));
  await writeFile(path.join(dir, 'b-sub', 'x.ndjson'), '{"resourceType":"Patient","id":"p"}\n');
  await writeFile(
    path.join(dir, 'c.json'),
    JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Task', id: 't' } }, { fullUrl: 'urn:x' }] }),
  );
  await writeFile(path.join(dir, 'd.json'), JSON.stringify({ resourceType: 'Bundle', id: 'tx', type: 'transaction', entry: [] }));
  await writeFile(path.join(dir, 'package.json'), '{"name":"not-fhir"}');
  await writeFile(path.join(dir, '.hidden.json'), '{}');
  await writeFile(path.join(dir, 'notes.txt'), 'not read');
  const items = await readResources(dir);
  expect(summary(items)).toEqual([
    ['a.json', 'Questionnaire/q'],
    [path.join('b-sub', 'x.ndjson') + ':1', 'Patient/p'],
    ['c.json#entry[0]', 'Task/t'],
    ['c.json#entry[1]', 'error: entry has no resource'],
    ['d.json', 'Bundle/tx'],
  ]);
});

test('NDJSON is streamed: the first line is yielded while the writer has not finished the file', async () => {
  // A named pipe: a reader that waited for the whole file (as readFile does) would never get
  // the first item, since the rest is written only after it arrives.
  const fifo = path.join(dir, 'live.ndjson');
  execFileSync('mkfifo', [fifo]);
  const stream = streamResources(fifo);
  const firstItem = stream.next();
  const writer = createWriteStream(fifo);
  writer.write('{"resourceType":"Patient","id":"first"}\n');
  expect((await firstItem).value).toMatchObject({ source: `${fifo}:1`, resource: { id: 'first' } });
  writer.end('{"resourceType":"Patient","id":"second"}\n');
  const rest: string[] = [];
  for await (const item of { [Symbol.asyncIterator]: () => stream }) rest.push(item.resource?.id ?? '?');
  expect(rest).toEqual(['second']);
});
