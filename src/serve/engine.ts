// The service's model side: a request body (JSON bytes) parsed and checked into a job, and jobs
// run in batches: the rows of every request of the same kind that arrived together go through
// one forward pass, and each request gets its own rows back. Runs in the service's model worker
// (never on the thread that serves HTTP); knows nothing of HTTP beyond the status of a reply.
import { WavaeError, checkInt, describe, type WavaeErrorCode } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { oneHot } from '../condition.js';
import type { AnyModel } from '../models/registry.js';
import { SCORE_METHODS, type ScoreMethod } from '../models/scores.js';
import { applyScaling, invertScaling, type Scaling } from '../data/scaling.js';

/** The routes that run the model. */
export const MODEL_ROUTES = ['encode', 'decode', 'reconstruct', 'score', 'sample'] as const;
export type ModelRoute = (typeof MODEL_ROUTES)[number];

/** A model as the service holds it: the model, the input scaling of its file, and its classes (a file that records one-hot labels). */
export interface ServedModel {
  model: AnyModel;
  scaling: Scaling;
  /** The class count of a conditional model whose file records one-hot labels (requests may give "labels"), else null. */
  classes: number | null;
}

/** Bounds on one request. */
export interface EngineLimits {
  /** Rows (or codes) per request. */
  maxRows: number;
  /** n of /sample. */
  maxSample: number;
  /** rows x samples of an 'iw' score request (each draw is a decoder pass). */
  maxIwDraws: number;
}

/** What a request gets back: an HTTP status and a JSON body; rows counts the rows it ran. */
export interface Reply {
  status: number;
  body: string;
  rows: number;
}

/** A checked request, ready to run. */
export interface Job {
  route: ModelRoute;
  /** Jobs of the same key run in one batch. */
  key: string;
  /** Input rows in model space (rows, or codes for decode); null for sample. */
  x: Matrix | null;
  cond: Matrix | null;
  method: ScoreMethod;
  samples: number;
  n: number;
  seed: number | undefined;
}

/** The HTTP status of a WavaeError from a request: the client's input, except what the service cannot hold. */
export function statusOf(code: WavaeErrorCode): number {
  if (code === 'OUT_OF_MEMORY') return 413;
  if (code === 'NON_FINITE_OUTPUT') return 422;
  if (code === 'BUSY' || code === 'WORKER_FAILED') return 503;
  return 400;
}

/** A reply of `{"error": {"code", "message"}}`. */
export function errorReply(status: number, code: string, message: string): Reply {
  return { status, body: JSON.stringify({ error: { code, message } }), rows: 0 };
}

const fail = (code: WavaeErrorCode, message: string): WavaeError => new WavaeError(code, message);

/** Float32 values as JSON numbers that read back to the same float32 (9 significant digits at most). */
function rowsJson(m: Matrix): string {
  const parts: string[] = [];
  for (let i = 0; i < m.rows; i++) {
    const row: string[] = [];
    for (let j = 0; j < m.cols; j++) row.push(String(Number(m.data[i * m.cols + j].toPrecision(9))));
    parts.push(`[${row.join(',')}]`);
  }
  return `[${parts.join(',')}]`;
}

/** Rows i0..i1 of m (a view). */
const slice = (m: Matrix, i0: number, i1: number): Matrix => matrix(i1 - i0, m.cols, m.data.subarray(i0 * m.cols, i1 * m.cols));

export class Engine {
  constructor(readonly served: ServedModel, readonly limits: EngineLimits) {}

  /** Parses and checks a request body for a route: a Job, or the error reply to send. */
  parse(route: ModelRoute, body: Uint8Array): Job | Reply {
    try {
      return this.check(route, body);
    } catch (err) {
      if (err instanceof WavaeError) return errorReply(statusOf(err.code), err.code, err.message);
      return errorReply(400, 'INVALID_OPTION', `the body is not a JSON request: ${(err as Error).message}`);
    }
  }

  private check(route: ModelRoute, bytes: Uint8Array): Job {
    const { model } = this.served;
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (err) {
      throw fail('INVALID_OPTION', `the body is not valid JSON (${(err as Error).message.slice(0, 200)})`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail('INVALID_OPTION', `the body must be a JSON object, got ${describe(body)}`);
    const o = body as Record<string, unknown>;
    const vae = 'sample' in model;
    const allowed: Record<ModelRoute, string[]> = {
      encode: ['rows', 'condition', 'labels'], reconstruct: ['rows', 'condition', 'labels'], decode: ['codes', 'condition', 'labels'],
      score: ['rows', 'condition', 'labels', 'method', 'samples', 'seed'], sample: ['n', 'seed', 'condition', 'labels', 'label'],
    };
    for (const key of Object.keys(o)) {
      if (!allowed[route].includes(key)) throw fail('UNKNOWN_OPTION', `/${route}: unknown field ${describe(key)}; fields are: ${allowed[route].join(', ')}`);
    }
    const job: Job = { route, key: route, x: null, cond: null, method: 'reconstruction', samples: 0, n: 0, seed: undefined };
    if (route === 'sample') {
      if (!vae) throw fail('INVALID_OPTION', '/sample needs a VAE (an autoencoder has no prior to sample from)');
      job.n = checkInt('/sample: n', o.n ?? 16, 1, this.limits.maxSample);
      job.seed = o.seed === undefined ? undefined : checkInt('/sample: seed', o.seed, 0, 2 ** 32 - 1);
      job.cond = this.condition(route, o, job.n);
      return job;
    }
    const field = route === 'decode' ? 'codes' : 'rows';
    const width = route === 'decode' ? model.latentDim : model.inputDim;
    const x = this.rows(`/${route}: ${field}`, o[field], width);
    job.x = route === 'decode' ? x : applyScaling(this.served.scaling, x);
    job.cond = this.condition(route, o, x.rows);
    if (route === 'score') {
      const calibrated = model.calibration;
      const method = o.method ?? calibrated?.method ?? (vae ? 'elbo' : 'reconstruction');
      if (!SCORE_METHODS.includes(method as ScoreMethod)) throw fail('INVALID_OPTION', `/score: method must be one of ${SCORE_METHODS.join(', ')}, got ${describe(method)}`);
      if (!vae && method !== 'reconstruction') throw fail('INVALID_OPTION', `/score: an autoencoder scores by 'reconstruction' only, got ${describe(method)}`);
      job.method = method as ScoreMethod;
      if (job.method === 'iw') {
        const dflt = calibrated?.method === 'iw' ? (calibrated.samples as number) : 100;
        job.samples = checkInt('/score: samples', o.samples ?? dflt, 1, this.limits.maxIwDraws);
        if (x.rows * job.samples > this.limits.maxIwDraws) {
          throw fail('OUT_OF_MEMORY', `/score: ${x.rows} rows x ${job.samples} samples are more than the ${this.limits.maxIwDraws} draws of one request (--max-iw-draws)`);
        }
      } else if (o.samples !== undefined) throw fail('INVALID_OPTION', "/score: samples applies to method 'iw' only");
      job.seed = o.seed === undefined ? undefined : checkInt('/score: seed', o.seed, 0, 2 ** 32 - 1);
      job.key = `score/${job.method}/${job.samples}/${job.seed ?? ''}`;
    }
    return job;
  }

  /** Rows of numbers, each `width` wide, at most maxRows, every value finite in float32. */
  private rows(what: string, value: unknown, width: number): Matrix {
    if (!Array.isArray(value) || value.length === 0) throw fail('INVALID_OPTION', `${what} must be a non-empty array of rows (arrays of ${width} numbers), got ${describe(value)}`);
    if (value.length > this.limits.maxRows) throw fail('OUT_OF_MEMORY', `${what}: ${value.length} rows, more than the ${this.limits.maxRows} of one request (--max-rows)`);
    const out = new Float32Array(value.length * width);
    for (let i = 0; i < value.length; i++) {
      const row: unknown = value[i];
      if (!Array.isArray(row) || row.length !== width) throw fail('SHAPE_MISMATCH', `${what}[${i}] must be an array of ${width} numbers, got ${describe(row)}`);
      for (let j = 0; j < width; j++) {
        const v: unknown = row[j];
        if (typeof v !== 'number') throw fail('INVALID_OPTION', `${what}[${i}][${j}] must be a number, got ${describe(v)}`);
        const f = Math.fround(v);
        if (!Number.isFinite(f)) throw fail('NON_FINITE_INPUT', `${what}[${i}][${j}] is ${v}, beyond float32 (at most ±3.4028235e38)`);
        out[i * width + j] = f;
      }
    }
    return matrix(value.length, width, out);
  }

  /** A conditional model's condition rows for n rows: "condition" rows, "labels" (one-hot) or "label" (sample); none for other models. */
  private condition(route: ModelRoute, o: Record<string, unknown>, n: number): Matrix | null {
    const { model } = this.served;
    const C = model.conditionDim;
    const given = ['condition', 'labels', 'label'].filter((k) => o[k] !== undefined);
    if (C === 0) {
      if (given.length) throw fail('INVALID_OPTION', `/${route}: "${given[0]}" given, but the model takes no condition`);
      return null;
    }
    if (given.length !== 1) {
      throw fail('INVALID_OPTION', `/${route}: a conditional model (conditionDim ${C}) needs one of "condition" (rows of ${C} numbers)` +
        `${this.served.classes !== null ? `, "labels" (one per row, 0..${this.served.classes - 1})${route === 'sample' ? ' or "label"' : ''}` : ''}${given.length ? `, not ${given.join(' and ')}` : ''}`);
    }
    if (given[0] === 'condition') {
      const c = this.rows(`/${route}: condition`, o.condition, C);
      if (c.rows !== n) throw fail('SHAPE_MISMATCH', `/${route}: condition has ${c.rows} rows, expected ${n}`);
      return c;
    }
    const classes = this.served.classes;
    if (classes === null) throw fail('INVALID_OPTION', `/${route}: the model file does not record its condition as class labels: give "condition" rows of ${C} numbers`);
    const labels = given[0] === 'label' ? new Array<unknown>(n).fill(o.label) : o.labels;
    if (!Array.isArray(labels) || labels.length !== n) throw fail('SHAPE_MISMATCH', `/${route}: labels must be an array of ${n} class labels (one per row), got ${describe(labels)}`);
    labels.forEach((v, i) => checkInt(`/${route}: ${given[0] === 'label' ? 'label' : `labels[${i}]`}`, v, 0, classes - 1));
    return oneHot(labels as number[], classes);
  }

  /**
   * Runs jobs, batching those of the same key: their rows go through the model in one call. A
   * batch whose call fails (a row that overflows) runs again job by job, so that only the
   * request with the bad row gets the error.
   */
  run(jobs: Job[]): Reply[] {
    const replies = new Array<Reply>(jobs.length);
    const groups = new Map<string, number[]>();
    jobs.forEach((job, i) => {
      if (job.route === 'sample') replies[i] = this.runOne(job);
      else groups.set(job.key, [...(groups.get(job.key) ?? []), i]);
    });
    for (const members of groups.values()) {
      if (members.length === 1) {
        replies[members[0]] = this.runOne(jobs[members[0]]);
        continue;
      }
      const batch = members.map((i) => jobs[i]);
      try {
        const x = concat(batch.map((j) => j.x as Matrix));
        const cond = batch[0].cond ? concat(batch.map((j) => j.cond as Matrix)) : null;
        const out = this.compute({ ...batch[0], x, cond });
        let at = 0;
        members.forEach((i, k) => {
          const n = (batch[k].x as Matrix).rows;
          replies[i] = this.reply(batch[k], out, at, at + n);
          at += n;
        });
      } catch (err) {
        if (!(err instanceof WavaeError)) throw err;
        for (const i of members) replies[i] = this.runOne(jobs[i]);
      }
    }
    return replies;
  }

  private runOne(job: Job): Reply {
    try {
      const out = this.compute(job);
      return this.reply(job, out, 0, job.route === 'sample' ? job.n : (job.x as Matrix).rows);
    } catch (err) {
      if (err instanceof WavaeError) return errorReply(statusOf(err.code), err.code, err.message.replace(/^(score|encode|decode|sample|logLikelihood): /, `/${job.route}: `));
      throw err;
    }
  }

  /** The model's outputs for a job (or a batch of jobs as one). */
  private compute(job: Job): { a: Matrix; b: Matrix | null; scores: Float64Array | null } {
    const { model, scaling } = this.served;
    const c = job.cond ? { condition: job.cond } : {};
    const x = job.x as Matrix;
    switch (job.route) {
      case 'encode': {
        if ('sample' in model) {
          const { mean, logVar } = model.encode(x, c);
          return { a: mean, b: logVar, scores: null };
        }
        return { a: model.encode(x, c), b: null, scores: null };
      }
      case 'decode':
        return { a: invertScaling(scaling, model.decode(x, c)), b: null, scores: null };
      case 'reconstruct':
        return { a: invertScaling(scaling, model.reconstruct(x, c)), b: null, scores: null };
      case 'score': {
        const options = { method: job.method, ...(job.method === 'iw' ? { samples: job.samples } : {}), ...(job.seed !== undefined ? { seed: job.seed } : {}), ...c };
        return { a: x, b: null, scores: model.score(x, options) };
      }
      case 'sample': {
        if (!('sample' in model)) throw fail('INVALID_OPTION', '/sample needs a VAE');
        return { a: invertScaling(scaling, model.sample(job.n, { ...(job.seed !== undefined ? { seed: job.seed } : {}), ...c })), b: null, scores: null };
      }
    }
  }

  /** The reply of one job from rows i0..i1 of the outputs. */
  private reply(job: Job, out: { a: Matrix; b: Matrix | null; scores: Float64Array | null }, i0: number, i1: number): Reply {
    const rows = i1 - i0;
    let body: string;
    if (job.route === 'encode') {
      body = out.b ? `{"mean":${rowsJson(slice(out.a, i0, i1))},"logVar":${rowsJson(slice(out.b, i0, i1))}}` : `{"codes":${rowsJson(slice(out.a, i0, i1))}}`;
    } else if (job.route === 'score') {
      const scores = Array.from((out.scores as Float64Array).subarray(i0, i1));
      const c = this.served.model.calibration;
      const threshold = c && c.method === job.method && (job.method !== 'iw' || c.samples === job.samples) ? c.threshold : null;
      body = JSON.stringify({ scores, method: job.method, threshold, anomaly: threshold === null ? null : scores.map((s) => s > threshold) });
    } else {
      body = `{"rows":${rowsJson(slice(out.a, i0, i1))}}`;
    }
    return { status: 200, body, rows };
  }
}

/** The rows of several matrices of the same width, one after another. */
function concat(parts: Matrix[]): Matrix {
  const rows = parts.reduce((s, m) => s + m.rows, 0);
  const out = new Float32Array(rows * parts[0].cols);
  let at = 0;
  for (const m of parts) {
    out.set(m.data, at);
    at += m.data.length;
  }
  return matrix(rows, parts[0].cols, out);
}
