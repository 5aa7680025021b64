/**
 * One load test: autocannon's programmatic API with a rotating list of request paths (so
 * that each request asks for another id or code and no cache flatters the figure).
 * Latencies are taken from every 2xx response with sub-millisecond precision (autocannon's
 * own histogram rounds to whole milliseconds, too coarse for reads that take one).
 */
import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) responses per second over the measured window. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx responses, connection errors and timeouts: a figure with any is not comparable. */
  failures: number;
  /** Mean response size in bytes. */
  meanBytes: number;
  /**
   * CPU time (user + system) the answering process used per successful request over the measured
   * window, in milliseconds: unlike req/s, other work on the machine barely changes it.
   */
  cpuMsPerRequest?: number;
}

export interface LoadOptions {
  origin: string;
  paths: string[];
  /** JSON bodies, one per path: the requests are POSTs (CDS Hooks calls); none: GETs. */
  bodies?: string[];
  connections: number;
  durationSeconds: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.paths.length === 0) throw new Error('no request paths');
  let next = 0;
  const latencies: number[] = [];
  let bytes = 0;
  let finish: (error: unknown, result?: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) =>
      error || !result ? reject(error ?? new Error('autocannon gave no result')) : resolve(result);
  });
  const instance = autocannon(
    {
      url: options.origin,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 30,
      headers: { accept: 'application/fhir+json' },
      requests: [
        {
          method: options.bodies ? 'POST' : 'GET',
          setupRequest: (request) => {
            const path = options.paths[next];
            const body = options.bodies?.[next];
            next = (next + 1) % options.paths.length;
            return body === undefined
              ? { ...request, path }
              : { ...request, path, method: 'POST', body, headers: { ...request.headers, 'content-type': 'application/json', accept: 'application/json' } };
          },
        },
      ],
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', (_client, statusCode, resBytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) {
      latencies.push(responseTime);
      bytes += resBytes;
    }
  });
  const result = await done;
  const sorted = Float64Array.from(latencies).sort();
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: ok,
    failures: result.non2xx + result.errors + result.timeouts,
    meanBytes: latencies.length > 0 ? bytes / latencies.length : 0,
  };
}
