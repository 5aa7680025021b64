import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';

/** Adds bytes to a client's stored total (table client_storage); the new total. */
export async function addClientStorage(db: Kysely<DatabaseSchema>, client: string, bytes: number): Promise<number> {
  const result = await sql<{ bytes: string }>`
    insert into client_storage (client, bytes) values (${client}, ${bytes})
    on conflict (client) do update set bytes = client_storage.bytes + excluded.bytes, updated_at = now()
    returning bytes`.execute(db);
  return Number(result.rows[0].bytes);
}
