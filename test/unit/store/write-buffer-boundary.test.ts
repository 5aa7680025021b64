import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A transaction of many writes holds them back (src/store/write-buffer.ts); that is the store's
 * business: every read through the Repository sees the transaction's own writes (searches,
 * findReferencing, reads by id), so no code outside src/store names the buffer or its workings.
 */
const ROOT = path.resolve(__dirname, '../../..');
const BUFFER_WORDS =
  /write-buffer|WriteBuffer|writeBuffer|heldMatching|holdsChangeOf|holdsWritesBack|holdingWritesBack|flushBeforeReading|repository\.flush|\.flush\(\)/;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

/** Lines of code (not comments) outside src/store that name the buffer; `allowed` are other things' flushes. */
function offenders(allowed: RegExp): string[] {
  return sources('src')
    .filter((file) => !file.startsWith(`src${path.sep}store${path.sep}`))
    .flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          BUFFER_WORDS.test(line) && !allowed.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
}

test('no file of src/ outside src/store uses the write buffer', () => {
  // The audit trail and the shared rate limit flush their own queues, not resources.
  expect(offenders(/auditTrail\?\.flush\(\)|void this\.flush\(\)|async flush\(\)/)).toEqual([]);
});

test('the check finds a use of the buffer', () => {
  expect(BUFFER_WORDS.test('await tx.repository.flush();')).toBe(true);
  expect(BUFFER_WORDS.test("import { WriteBuffer } from '../store/write-buffer';")).toBe(true);
});
