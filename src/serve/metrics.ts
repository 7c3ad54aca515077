// The service's metrics in Prometheus' text format (version 0.0.4): requests by route and status,
// a latency histogram by route, rows run, rejected requests by reason, the queue depth, the
// bytes of bodies in flight, batches and their rows, and model reloads.

/** Latency buckets, seconds. */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Batch size buckets, rows. */
const ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/** Label values are quoted with \, " and newlines escaped. */
const quote = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

export class Metrics {
  private readonly requests = new Map<string, number>(); // "route\0status"
  private readonly latency = new Map<string, Histogram>();
  private readonly rejected = new Map<string, number>();
  private readonly reloads = new Map<string, number>();
  private readonly batchRows = new Histogram(ROWS);
  rows = 0;
  /** Read when the metrics are written; the parts of the service that know them set them. */
  readonly gauges = { queueDepth: (): number => 0, bodyBytes: (): number => 0, connections: (): number => 0 };

  /** A request answered: its route (the path, or 'other'), status and seconds from its first byte. */
  request(route: string, status: number, seconds: number): void {
    const key = `${route}\0${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = new Histogram(SECONDS)));
    h.observe(seconds);
  }

  /** A request refused before the model ran it: 'body_too_large', 'queue_full', 'body_budget', 'timeout', 'bad_request', 'draining', 'closed' (the client went away first). */
  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  /** A batch run by the model: its rows (several requests' rows in one forward pass). */
  batch(rows: number): void {
    this.batchRows.observe(rows);
  }

  reload(ok: boolean): void {
    const key = ok ? 'ok' : 'failed';
    this.reloads.set(key, (this.reloads.get(key) ?? 0) + 1);
  }

  text(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family('wavae_requests_total', 'counter', 'HTTP requests answered, by route and status.');
    for (const [key, n] of this.requests) {
      const [route, status] = key.split('\0');
      out.push(`wavae_requests_total{route=${quote(route)},status=${quote(status)}} ${n}`);
    }
    family('wavae_request_duration_seconds', 'histogram', 'Time from a request\'s arrival to its answer, by route.');
    for (const [route, h] of this.latency) histogramLines(out, 'wavae_request_duration_seconds', `route=${quote(route)}`, h);
    family('wavae_rows_total', 'counter', 'Rows run through the model (scored, encoded, decoded, reconstructed or sampled).');
    out.push(`wavae_rows_total ${this.rows}`);
    family('wavae_rejected_requests_total', 'counter', 'Requests refused before the model ran them, by reason.');
    for (const [reason, n] of this.rejected) out.push(`wavae_rejected_requests_total{reason=${quote(reason)}} ${n}`);
    family('wavae_queue_depth', 'gauge', 'Requests sent to the model and not yet answered.');
    out.push(`wavae_queue_depth ${this.gauges.queueDepth()}`);
    family('wavae_body_bytes_in_flight', 'gauge', 'Bytes of request bodies being received or waiting for the model.');
    out.push(`wavae_body_bytes_in_flight ${this.gauges.bodyBytes()}`);
    family('wavae_open_connections', 'gauge', 'Open client connections.');
    out.push(`wavae_open_connections ${this.gauges.connections()}`);
    family('wavae_batch_rows', 'histogram', 'Rows per forward pass (the rows of the requests batched together).');
    histogramLines(out, 'wavae_batch_rows', '', this.batchRows);
    family('wavae_model_reloads_total', 'counter', 'Model file reloads (SIGHUP), by result.');
    for (const [result, n] of this.reloads) out.push(`wavae_model_reloads_total{result=${quote(result)}} ${n}`);
    return out.join('\n') + '\n';
  }
}

function histogramLines(out: string[], name: string, labels: string, h: Histogram): void {
  const sep = labels ? ',' : '';
  const braces = labels ? `{${labels}}` : '';
  h.buckets.forEach((b, i) => out.push(`${name}_bucket{${labels}${sep}le="${b}"} ${h.counts[i]}`));
  out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}`, `${name}_sum${braces} ${h.sum}`, `${name}_count${braces} ${h.count}`);
}
