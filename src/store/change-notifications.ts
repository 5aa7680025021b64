import { sql, type Kysely } from 'kysely';
import pg from 'pg';

/** Sends a notification on a channel; inside a transaction it is delivered at commit. */
export async function notifyChange(db: Kysely<unknown>, channel: string, payload = ''): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

export interface ChangeListener {
  /** True while the session listens: only then is every change heard. */
  listening(): boolean;
  close(): Promise<void>;
}

/**
 * LISTENs on channels over one dedicated session (a direct connection: a transaction-mode
 * pooler cannot keep a LISTEN). `onMessage` gets each notification; `onGap` is called whenever
 * notifications may have been missed (the session was lost, and again once it is back), so
 * what depends on them can drop what it holds. It reconnects by itself.
 */
export function listenForChanges(connectionString: string, channels: string[], handlers: { onMessage(channel: string): void; onGap(): void; onError?(error: Error): void }): ChangeListener {
  let client: pg.Client | undefined;
  let ready = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
    next.on('notification', (message) => handlers.onMessage(message.channel));
    const lost = (error?: Error) => {
      if (client !== next) return;
      client = undefined;
      ready = false;
      if (error) handlers.onError?.(error);
      handlers.onGap();
      next.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1_000);
    };
    next.on('error', lost);
    next.on('end', () => lost());
    client = next;
    try {
      await next.connect();
      for (const channel of channels) await next.query(`listen ${pg.Client.prototype.escapeIdentifier(channel)}`);
      // Whatever changed while no session listened is unknown.
      handlers.onGap();
      ready = client === next;
    } catch (error) {
      lost(error instanceof Error ? error : new Error(String(error)));
    }
  };
  void connect();
  return {
    listening: () => ready,
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
