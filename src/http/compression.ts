import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Bodies shorter than this go uncompressed: the saving does not pay for the work. */
export const MIN_COMPRESSED_BYTES = 1024;

export type ContentEncoding = 'br' | 'gzip';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * The encoding to answer with, from the request's Accept-Encoding (RFC 9110 §12.5.3): brotli
 * when accepted, else gzip, else none. A coding with q=0 is refused; `*` accepts both.
 */
export function chooseEncoding(acceptEncoding: string | string[] | undefined): ContentEncoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (header === '') return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding === '') continue;
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(coding, Number.isFinite(weight) ? weight : 0);
  }
  const weight = (coding: string) => weights.get(coding) ?? weights.get('*') ?? 0;
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return undefined;
}

/** The body compressed off the event loop (zlib's thread pool); brotli at a quality that keeps it fast. */
export function compressBody(body: string, encoding: ContentEncoding): Promise<Buffer> {
  if (encoding === 'br') {
    return brotli(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(body),
      },
    });
  }
  return gzipAsync(body, { level: 6 });
}

/** The encoding to use for this body, or none (short bodies, clients that do not accept one). */
export function encodingFor(acceptEncoding: string | string[] | undefined, body: string): ContentEncoding | undefined {
  return body.length >= MIN_COMPRESSED_BYTES ? chooseEncoding(acceptEncoding) : undefined;
}
