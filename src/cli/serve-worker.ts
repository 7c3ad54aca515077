// The entry of `wavae serve`'s model worker: opens the model file (and calibrates it on normal
// data when asked), then runs the requests the HTTP thread sends, batching those that arrived
// together into one forward pass. SIGHUP's reload swaps the model between batches; a bad file
// keeps the old model.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../backend/index.js';
import '../node.js'; // registers the kernel threads
import { WavaeError } from '../errors.js';
import { Engine, errorReply, type Job, type Reply } from '../serve/engine.js';
import type { FromWorker, ModelInfo, ToWorker, WorkerSetup } from '../serve/protocol.js';
import { modelData } from './inspect.js';
import { architectureLine, given, openModel } from './model-file.js';

const setup = workerData as WorkerSetup;
const port = parentPort as NonNullable<typeof parentPort>;
const post = (m: FromWorker): void => port.postMessage(m);

/** Opens the model file (calibrated on --calibrate's data when given): its engine and its description. */
async function open(): Promise<{ engine: Engine; info: ModelInfo }> {
  const opened = openModel(setup.file);
  const { model, scaling, shape, condition } = opened;
  if (setup.calibrate) {
    const c = setup.calibrate;
    const normal = await modelData(setup.file, c.data, c.limit !== undefined ? { limit: c.limit } : {}, opened);
    model.calibrate(normal.x, { quantile: c.quantile, ...(c.method ? { method: c.method } : {}), ...(c.samples ? { samples: c.samples } : {}), ...given(normal.condition) });
  }
  const classes = condition?.type === 'labels' ? condition.classes : null;
  const info: ModelInfo = {
    file: setup.file, kind: model.kind, architecture: architectureLine(model), inputDim: model.inputDim, latentDim: model.latentDim,
    conditionDim: model.conditionDim, classes, parameters: model.parameterCount, epochsTrained: model.epochsTrained,
    scaling: scaling.type, imageShape: shape, calibration: model.calibration,
  };
  return { engine: new Engine({ model, scaling, classes }, setup.limits), info };
}

let engine: Engine;
const queue: { id: number; job: Job }[] = [];
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  if (setup.batchWaitMs > 0) setTimeout(flush, setup.batchWaitMs);
  else setImmediate(flush);
}

/** Runs the queued jobs, up to maxBatchRows rows (at least one job), and answers them. */
function flush(): void {
  scheduled = false;
  const take: { id: number; job: Job }[] = [];
  let rows = 0;
  while (queue.length && (take.length === 0 || rows + jobRows(queue[0].job) <= setup.maxBatchRows)) {
    const next = queue.shift() as { id: number; job: Job };
    rows += jobRows(next.job);
    take.push(next);
  }
  let replies: Reply[];
  try {
    replies = engine.run(take.map((t) => t.job));
  } catch (err) {
    replies = take.map(() => errorReply(500, 'INTERNAL', (err as Error).message));
  }
  take.forEach((t, i) => post({ type: 'result', id: t.id, ...replies[i] }));
  post({ type: 'batch', rows });
  if (queue.length) schedule();
}

const jobRows = (job: Job): number => (job.x ? job.x.rows : job.n);

async function reload(id: number): Promise<void> {
  while (queue.length) flush(); // the requests that came before run on the model they came to
  try {
    const next = await open();
    const old = engine;
    engine = next.engine;
    old.served.model.dispose();
    post({ type: 'reloaded', id, ok: true, info: next.info });
  } catch (err) {
    post({ type: 'reloaded', id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
}

try {
  await init({ ...(setup.backend ? { backend: setup.backend } : {}), ...(setup.threads ? { threads: setup.threads } : {}) });
  const first = await open();
  engine = first.engine;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'reload') {
      void reload(m.id);
      return;
    }
    const parsed = engine.parse(m.route, m.body);
    if ('status' in parsed) post({ type: 'result', id: m.id, ...parsed });
    else {
      queue.push({ id: m.id, job: parsed });
      schedule();
    }
  });
  post({ type: 'ready', info: first.info });
} catch (err) {
  post({ type: 'failed', message: err instanceof WavaeError || err instanceof Error ? err.message : String(err) });
}
