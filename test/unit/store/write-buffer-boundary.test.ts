import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A transaction that holds its writes back (src/store/write-buffer.ts) is the store's business:
 * every read through the store sees the transaction's own writes (ResourceStore.reader,
 * findReferencing, reads by id), so no code outside src/store names the buffer or its workings.
 */
const ROOT = path.resolve(__dirname, '../../..');
const BUFFER_WORDS = /write-buffer|WriteBuffer|writeBuffer|heldMatching|holdsChangeOf|flushBeforeReading|FlushConflictError/;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

test('no file of src/ outside src/store uses the write buffer', () => {
  const offenders = sources('src')
    .filter((file) => !file.startsWith(`src${path.sep}store${path.sep}`))
    .filter((file) => !file.startsWith(`src${path.sep}web${path.sep}coordinator${path.sep}app`))
    .flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (BUFFER_WORDS.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
  expect(offenders).toEqual([]);
});
