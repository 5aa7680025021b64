import type { IncomingHttpHeaders } from 'node:http';
import type { ReturnPreference } from '../services/resource-service';

/** R4 http.html#ops: `Prefer: return=...` and `Prefer: handling=strict|lenient`. */
export function preferences(req: { headers: IncomingHttpHeaders }): { return: ReturnPreference; strict: boolean } {
  const raw = req.headers.prefer;
  const header = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const parts = header.split(/[;,]/).map((p) => p.trim());
  let ret: ReturnPreference = 'representation';
  let strict = false;
  for (const part of parts) {
    const [key, value] = part.split('=').map((s) => s?.trim().replace(/^"|"$/g, ''));
    if (key === 'return' && (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')) ret = value;
    if (key === 'handling' && value === 'strict') strict = true;
  }
  return { return: ret, strict };
}
