import { onLibraryWrite } from './library-changes';
import type { WriteHook } from './write-hooks';

/** A counter of this instance's library writes, one per server (its write hooks). */
const generations = new WeakMap<Map<string, WriteHook[]>, { value: number }>();

function generationOf(hooks: Map<string, WriteHook[]>): { value: number } {
  let generation = generations.get(hooks);
  if (generation === undefined) {
    const counter = { value: 0 };
    onLibraryWrite(hooks, async () => {
      counter.value += 1;
    });
    generations.set(hooks, counter);
    generation = counter;
  }
  return generation;
}

interface Entry<V> {
  generation: number;
  at: number;
  value: Promise<V>;
}

/**
 * Answers computed from the library (matched plans, a plan's risks, a serialized knowledge
 * response), kept in memory per key. A library write on this instance (any LIBRARY_TYPES
 * resource, ConceptMaps included) drops them at once; a write through another instance on the
 * same database is seen within SHARED_STATE_REFRESH_MS, the delay docs/scaling.md gives for
 * shared definitions (0: nothing is kept). A failed computation is not kept. At most
 * `maxEntries` keys, the oldest computed going first.
 */
export class LibraryAnswerCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly generation: { value: number };

  /** `hooks`: the server's write hooks; `ttlMs`: SHARED_STATE_REFRESH_MS. */
  constructor(
    hooks: Map<string, WriteHook[]>,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {
    this.generation = generationOf(hooks);
  }

  get(key: string, compute: () => Promise<V>): Promise<V> {
    if (this.ttlMs === 0) return compute();
    const now = Date.now();
    const known = this.entries.get(key);
    if (known !== undefined && known.generation === this.generation.value && now - known.at < this.ttlMs) return known.value;
    const entry: Entry<V> = { generation: this.generation.value, at: now, value: compute() };
    if (known !== undefined) this.entries.delete(key);
    else if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }
}
