import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../src/config';
import { openRuntime } from '../src/runtime';
async function main() {
  const url = process.argv[2]; const n = Number(process.argv[3] ?? 5000); const mode = process.argv[4] ?? 'procedure';
  const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '4', LOAD_CONTENT: 'false', AUTH: 'off', LOG_LEVEL: 'silent' });
  const runtime = await openRuntime(config, pino({ level: 'silent' }));
  const { ctx } = runtime;
  const codes = (await sql<{ s: string; c: string }>`select system as s, code as c from idx_token where resource_type='DocumentReference' and param='procedure' group by 1,2 limit 200`.execute(ctx.database.db)).rows;
  const ids = (await sql<{ id: string }>`select id from resource where resource_type='DocumentReference' limit 200`.execute(ctx.database.db)).rows;
  const one = async (i: number) => {
    if (mode === 'read') { await ctx.service.read('DocumentReference', ids[i % ids.length].id); return; }
    const c = codes[i % codes.length];
    const { request, warnings } = ctx.searchService.parse(['DocumentReference'], [['procedure', `${c.s}|${c.c}`]], false);
    await ctx.searchService.search(ctx.service.store, 'DocumentReference', request, warnings);
  };
  for (let i = 0; i < 1000; i++) await one(i);
  for (let round = 0; round < 3; round++) {
    const t0 = process.cpuUsage(); const w0 = performance.now();
    for (let i = 0; i < n; i++) await one(i);
    const d = process.cpuUsage(t0); const w = performance.now() - w0;
    console.log(`${mode}: ${n} in ${w.toFixed(0)} ms wall, CPU ${((d.user + d.system) / n).toFixed(1)} us/op (user ${(d.user / n).toFixed(1)}, sys ${(d.system / n).toFixed(1)})`);
  }
  await runtime.close();
}
main();
