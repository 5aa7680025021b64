import { LibraryAnswerCache } from '../../../src/services/library-answer-cache';
import type { WriteHook } from '../../../src/services/write-hooks';

function libraryWrite(hooks: Map<string, WriteHook[]>, type: string): Promise<void[]> {
  return Promise.all((hooks.get(type) ?? []).map((h) => h.afterWrite!({ interaction: 'create', resource: { resourceType: type } as never, previous: undefined }, undefined as never)));
}

test('an answer is kept until a library write on the instance, and a failed one is not kept', async () => {
  const hooks = new Map<string, WriteHook[]>();
  const cache = new LibraryAnswerCache<number>(hooks, 60_000, 10);
  let computed = 0;
  const compute = async () => ++computed;
  expect(await cache.get('k', compute)).toBe(1);
  expect(await cache.get('k', compute)).toBe(1);
  await libraryWrite(hooks, 'ConceptMap');
  expect(await cache.get('k', compute)).toBe(2);
  // Not a library type: nothing is dropped.
  await libraryWrite(hooks, 'Patient');
  expect(await cache.get('k', compute)).toBe(2);

  await expect(cache.get('bad', () => Promise.reject(new Error('database gone')))).rejects.toThrow('database gone');
  expect(await cache.get('bad', compute)).toBe(3);
});

test('answers expire after the refresh interval (another instance\'s writes), and 0 keeps nothing', async () => {
  const hooks = new Map<string, WriteHook[]>();
  const short = new LibraryAnswerCache<number>(hooks, 20, 10);
  let computed = 0;
  const compute = async () => ++computed;
  expect(await short.get('k', compute)).toBe(1);
  await new Promise((r) => setTimeout(r, 40));
  expect(await short.get('k', compute)).toBe(2);
  const none = new LibraryAnswerCache<number>(hooks, 0, 10);
  expect(await none.get('k', compute)).toBe(3);
  expect(await none.get('k', compute)).toBe(4);
});

test('at most maxEntries keys, the oldest going first', async () => {
  const cache = new LibraryAnswerCache<string>(new Map(), 60_000, 2);
  let computed = 0;
  const compute = (key: string) => async () => `${key}${++computed}`;
  await cache.get('a', compute('a'));
  await cache.get('b', compute('b'));
  await cache.get('c', compute('c'));
  expect(await cache.get('b', compute('b'))).toBe('b2');
  expect(await cache.get('a', compute('a'))).toBe('a4');
});
