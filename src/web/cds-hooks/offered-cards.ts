import type { CdsHooksStore, OfferedCard } from '../../store/cds-hooks-store';

/** Rows written by one statement at most (5 parameters each, far below PostgreSQL's 65,535). */
const MAX_BATCH_ROWS = 1000;

interface Waiting {
  cards: OfferedCard[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Records the cards each hook call offers (so that feedback can name them), one statement for
 * every call that arrived while the previous statement ran: at 32 concurrent calls the cards of
 * many calls share one round trip. Each call still answers only once its own cards are stored.
 * When a shared statement fails, each call of it is written again alone, so one call's failure
 * is never another's.
 */
export class OfferedCardRecorder {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly store: CdsHooksStore) {}

  record(cards: OfferedCard[]): Promise<void> {
    if (cards.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ cards, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.nextBatch();
        try {
          await this.store.recordCards(batch.flatMap((w) => w.cards));
          for (const w of batch) w.resolve();
        } catch (error) {
          if (batch.length === 1) batch[0].reject(error);
          else await Promise.all(batch.map((w) => this.store.recordCards(w.cards).then(w.resolve, w.reject)));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private nextBatch(): Waiting[] {
    let rows = 0;
    let n = 0;
    while (n < this.waiting.length && (n === 0 || rows + this.waiting[n].cards.length <= MAX_BATCH_ROWS)) rows += this.waiting[n++].cards.length;
    return this.waiting.splice(0, n);
  }
}
