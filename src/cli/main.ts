#!/usr/bin/env node
// The `wavae` command: train | eval | sample | reconstruct | interpolate | traverse | encode | info | export | serve.
// Argument parsing by commander; every failure is one line on stderr and a non-zero exit code.
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { init } from '../backend/index.js';
import '../node.js'; // registers the kernel threads for --threads
import { WavaeError } from '../errors.js';
import { MAX_CLASSES } from '../condition.js';
import { MAX_PICTURE_SIDE, MAX_UNITS, bytes, dimsArg, int, nonEmpty, num } from './args.js';
import { SERVE_DEFAULTS as D, serve, type ServeArgs } from './serve.js';
import { MAX_EPOCHS } from '../train/fit.js';
import { MAX_IW_SAMPLES } from '../models/model.js';
import { CONDITION_KINDS } from './condition.js';
import { shapeArg } from './image-shape.js';
import { encode, evaluate, info } from './inspect.js';
import { exportModel } from './export.js';
import { MAX_SAMPLES, interpolate, reconstruct, sample, traverse } from './pictures.js';
import { SCALING_TYPES } from '../data/scaling.js';
import { train } from './train.js';
import { errorLine } from './error-line.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }; // dist/cli/ -> the package's root

const program = new Command('wavae')
  .description('Train and use autoencoders and VAEs (WebAssembly SIMD kernels).')
  .version(version, '-V, --version', 'print the version of wavae')
  .addOption(new Option('--backend <name>', 'kernel backend (default: wasm where SIMD WebAssembly runs, else js)').choices(['wasm', 'js']))
  .option('--threads <n>', 'kernel threads for the wasm backend (default: the cores, up to 4; at most 64)', int(1, 64))
  .showSuggestionAfterError(true)
  .configureOutput({ outputError: (text, write) => write(errorLine(text.replace(/^error: /, '').trimEnd())) });

/** Wraps a command action: init, run, and one clear line on failure. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const { backend, threads } = program.opts() as { backend?: 'wasm' | 'js'; threads?: number };
      // the library's default: the cores, up to 4 (results are bitwise the same on any number of threads)
      await init({ ...(backend ? { backend } : {}), ...(threads ? { threads } : {}) });
      await fn(...args);
    } catch (err) {
      const message = err instanceof WavaeError ? err.message : err instanceof Error ? err.message : String(err);
      process.stderr.write(errorLine(message));
      if (process.env.WAVAE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    }
  };
}

const dataOption = (dflt?: string): Option => {
  const o = new Option('--data <source>', "'mnist' or a file: .csv, .json, .npy, IDX (.idx, *-ubyte), or any of them .gz; " +
    'images as (n, h, w) or channels first (n, c, h, w): transpose NHWC arrays (n, h, w, c) first');
  return dflt ? o.default(dflt) : o.makeOptionMandatory();
};

/** --shape: how rows are drawn as pictures (and, for train, the --arch input shape). */
const shapeOption = (dflt: string): Option => new Option('--shape <CxHxW>',
  `image shape: CxHxW, channels first (e.g. 3x32x32), HxW for one channel (e.g. 28x28), or auto; default: ${dflt}. ` +
  'Pictures show 1 channel in grey, 3 in colour (RGB), other counts as grey channel planes side by side').argParser(shapeArg);

/** The labels of --data (a conditional model's condition, the latent scatter plot's colours). */
const labelsOption = (): Option => new Option('--labels <file>', 'labels of --data, one per row (IDX, .npy, .csv); without it, a conditional model reads X-labels-idx1-ubyte next to X-images-idx3-ubyte');
const labelColumnOption = (): Option => new Option('--label-column <name|index>', 'a CSV column to leave out of the data (used as labels)');
/** --header: whether a CSV's first row names the columns (the rule of parseCsv, stated in the README). */
const headerOption = (): Option => new Option('--header <when>', "a CSV's first row names the columns: 'auto' when none of its cells is a number " +
  "(and some cell is not empty), 'yes', or 'no'; a row read as data that is not all numbers is an error, never dropped").choices(['auto', 'yes', 'no']).default('auto');
/** --label on the commands that read data: one class for every row of a conditional model. */
const labelOption = (what: string): Option => new Option('--label <k>', `a conditional model's class for ${what} (default: the data's labels)`).argParser(int(0));

program.command('train')
  .description('train a VAE or an autoencoder; writes the model, a training log and pictures')
  .addOption(dataOption('mnist'))
  .addOption(labelsOption())
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .option('--limit <n>', 'use the first n rows (default: all)', int(1))
  .addOption(new Option('--model <kind>', 'model').choices(['vae', 'ae']).default('vae'))
  .addOption(new Option('--condition <what>', "a conditional model (CVAE) given 'labels': the data's class labels, one-hot (integers 0, 1, 2, ...)").choices([...CONDITION_KINDS]))
  .option('--classes <k>', 'the class count of --condition labels (default: the largest label + 1)', int(1, MAX_CLASSES))
  .option('--hidden <sizes>', 'hidden layer sizes, e.g. 400 or 512,256 (the decoder mirrors them); default: one layer of twice the columns, ' +
    `between 16 and 400 (vae) or 256 (ae): 400 on MNIST; each at most ${MAX_UNITS}`, dimsArg)
  .option('--arch <conv|file.json>', "layers on the image shape [C, H, W]: 'conv' (two stride-2 convolutions, dense 256; mirrored, odd sizes given back with outputPadding) " +
    'or a JSON file { encoder, decoder? } of layer specs')
  .option('--latent <n>', `latent dimension; default: a quarter of the columns, between 1 and 20 (vae) or 32 (ae); with --arch 20 (vae) or 32 (ae); at most ${MAX_UNITS}`, int(1, MAX_UNITS))
  .addOption(new Option('--likelihood <kind>', 'VAE decoder (default: bernoulli for data in [0, 1], else gaussian)').choices(['bernoulli', 'gaussian']))
  .option('--output-variance <v>', "Gaussian decoder variance: a number or 'learned' (default: learned)")
  .addOption(new Option('--loss <kind>', 'autoencoder loss (default: mse)').choices(['mse', 'bce']))
  .addOption(new Option('--activation <fn>', 'hidden activation (default: relu)').choices(['relu', 'leaky_relu', 'tanh', 'sigmoid']))
  .option('--beta <b>', 'weight of the KL term (default: 1)', num(0))
  .option('--kl-warmup <epochs>', 'epochs of linear KL warm-up (default: 0)', num(0))
  .option('--weight-decay <l2>', 'L2 penalty on the weights (default: 0)', num(0))
  .option('--denoise <spec>', 'autoencoder input corruption: gaussian:STD or mask:PROB (default: none)', nonEmpty)
  .addOption(new Option('--optimizer <name>', 'optimizer (default: adam)').choices(['adam', 'adamw', 'sgd']))
  .option('--lr <rate>', 'learning rate (default: 4e-3 with cosine decay and warm-up when neither --optimizer nor --lr is given, ' +
    '1e-3 with --arch conv; else 1e-3, 0.01 for sgd, constant)', num(0))
  .option('--momentum <m>', 'SGD momentum (default: 0)', num(0))
  .addOption(new Option('--schedule <kind>', 'learning-rate schedule (default: cosine when neither --optimizer nor --lr is given, else constant)').choices(['constant', 'step', 'exponential', 'cosine']))
  .option('--lr-step <epochs>', 'step schedule: epochs between decays (default: 1)', num(0))
  .option('--lr-gamma <g>', 'step/exponential schedule: decay factor (default: 0.5 step, 0.9 exponential)', num(0))
  .option('--warmup-steps <n>', 'linear learning-rate warm-up steps (default: with the default schedule, 200 or a tenth of all steps if fewer; else 0)', int(0))
  .option('--clip-norm <n>', 'clip gradients to this global norm, > 0 (default: no clipping)', num(Number.MIN_VALUE))
  .option('--batch-size <n>', 'batch size (default: 128)', int(1))
  .option('--epochs <n>', `epochs, at most ${MAX_EPOCHS} (default: 7; 10 with --arch conv)`, int(1, MAX_EPOCHS))
  .option('--seed <n>', 'seed', int(0, 2 ** 32 - 1), 1)
  .option('--validation-split <f>', 'fraction of user data held out for validation (default: 0.1; MNIST uses its test set)', num(0))
  .addOption(new Option('--scale <how>', 'input scaling (default: divide255 for byte data, else none)').choices([...SCALING_TYPES]))
  .addOption(shapeOption("the data's (IDX, .npy, MNIST)"))
  .option('--out <dir>', 'output folder', nonEmpty, 'out')
  .option('--no-pictures', 'skip the PNG pictures')
  .option('--quiet', 'print nothing but errors (default: a progress bar on a terminal, else plain lines)')
  .option('--json', 'print JSON lines (one per epoch, then a summary)')
  .action(action(train));

program.command('eval')
  .description('loss, reconstruction and KL on a dataset; --iw K adds the importance-weighted log-likelihood')
  .requiredOption('--model <file>', 'model file (.safetensors)')
  .addOption(dataOption('mnist'))
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .addOption(labelsOption())
  .addOption(labelOption('every row'))
  .option('--limit <n>', 'use the first n rows (default: all)', int(1))
  .option('--iw <k>', `importance samples for log p(x) (at most ${MAX_IW_SAMPLES})`, int(1, MAX_IW_SAMPLES))
  .option('--json', 'print JSON')
  .action(action(evaluate));

program.command('sample')
  .description('a PNG grid of samples from a VAE; of a conditional VAE, of one class or a row per class')
  .requiredOption('--model <file>', 'model file')
  .option('--n <n>', 'number of samples (default: 64; with --grid-by-label, per class, default 8)', int(1, MAX_SAMPLES))
  .option('--seed <n>', 'seed', int(0, 2 ** 32 - 1), 1)
  .option('--cols <n>', `grid columns (at most ${MAX_PICTURE_SIDE})`, int(1, MAX_PICTURE_SIDE))
  .addOption(new Option('--label <k>', 'a conditional model: samples of class k').argParser(int(0)))
  .option('--grid-by-label', "a conditional model: one row per class, --n samples each, column j from the same code in every row (a conditional model's default)")
  .addOption(shapeOption("the model file's"))
  .option('--out <file>', 'PNG file', nonEmpty, 'samples.png')
  .action(action(sample));

program.command('reconstruct')
  .description('a PNG of inputs (top row) and their reconstructions (bottom row)')
  .requiredOption('--model <file>', 'model file')
  .addOption(dataOption('mnist'))
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .addOption(labelsOption())
  .addOption(labelOption('every row'))
  .option('--n <n>', `number of images (at most ${MAX_SAMPLES})`, int(1, MAX_SAMPLES), 16)
  .option('--limit <n>', 'read only the first n rows of --data', int(1))
  .addOption(shapeOption("the model file's"))
  .option('--out <file>', 'PNG file', nonEmpty, 'reconstructions.png')
  .action(action(reconstruct));

program.command('interpolate')
  .description('a PNG of decoded points on the line between the codes of two rows')
  .requiredOption('--model <file>', 'model file')
  .addOption(dataOption('mnist'))
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .addOption(labelsOption())
  .addOption(labelOption('both rows and the whole line (default: the rows\' labels, blended along the line)'))
  .option('--from <i>', 'first row', int(0), 0)
  .option('--to <j>', 'second row', int(0, 2 ** 32 - 1), 1)
  .option('--steps <n>', `points on the line (at most ${MAX_PICTURE_SIDE})`, int(2, MAX_PICTURE_SIDE), 10)
  .option('--cols <n>', `grid columns (at most ${MAX_PICTURE_SIDE})`, int(1, MAX_PICTURE_SIDE))
  .addOption(shapeOption("the model file's"))
  .option('--out <file>', 'PNG file', nonEmpty, 'interpolation.png')
  .action(action(interpolate));

program.command('traverse')
  .description('a PNG with one row per latent dimension, varied over [-range, range]')
  .requiredOption('--model <file>', 'model file')
  .option('--data <source>', 'take the base code from a row of this data (default: the zero code)')
  .option('--index <i>', 'row of --data for the base code', int(0), 0)
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .addOption(labelsOption())
  .addOption(new Option('--label <k>', "a conditional model's class to draw (default: the label of row --index of --data)").argParser(int(0)))
  .option('--dims <n>', `latent dimensions to show (default: up to 10; at most ${MAX_PICTURE_SIDE})`, int(1, MAX_PICTURE_SIDE))
  .option('--steps <n>', `points per dimension (at most ${MAX_PICTURE_SIDE})`, int(2, MAX_PICTURE_SIDE), 9)
  .option('--range <r>', 'half-width of the traversal (at most 1e6)', num(0, 1e6), 3)
  .addOption(shapeOption("the model file's"))
  .option('--out <file>', 'PNG file', nonEmpty, 'traversal.png')
  .action(action(traverse));

program.command('encode')
  .description('latent means (and log-variances) of a dataset as CSV or .npy')
  .requiredOption('--model <file>', 'model file')
  .addOption(dataOption())
  .requiredOption('--out <file>', 'codes.csv or codes.npy', nonEmpty)
  .addOption(labelColumnOption())
  .addOption(headerOption())
  .addOption(labelsOption())
  .addOption(labelOption('every row'))
  .option('--limit <n>', 'use the first n rows (default: all)', int(1))
  .option('--logvar', 'append the log-variances (VAE)')
  .action(action(encode));

program.command('info')
  .description("a model file's architecture, training settings and parameter count")
  .requiredOption('--model <file>', 'model file')
  .option('--json', 'print JSON')
  .action(action(info));

program.command('export')
  .description('a model file as ONNX: encoder.onnx (x -> mean, logvar; an autoencoder: code) and decoder.onnx (z -> x_mean) in --out, opset 17')
  .requiredOption('--model <file>', 'model file')
  .option('--format <name>', 'the format: onnx', 'onnx')
  .requiredOption('--out <dir>', 'output folder (made if missing; encoder.onnx and decoder.onnx are replaced)', nonEmpty)
  .action(action(exportModel));

program.command('serve')
  .description('serve a model over HTTP (JSON): POST /encode /decode /reconstruct /score /sample, GET /health /info /metrics; ' +
    'SIGTERM drains and exits, SIGHUP reloads the model file; a mistake before it listens exits with code 2')
  .requiredOption('--model <file>', 'model file')
  .option('--port <n>', 'port (0: any free port)', int(0, 65535), D.port)
  .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', D.host)
  .option('--calibrate <data>', 'normal data (a data file, or mnist) to compute the anomaly threshold on at startup (and at each reload)')
  .option('--quantile <q>', 'the quantile of the normal data\'s scores that becomes the threshold, in (0, 1]', num(Number.MIN_VALUE, 1), D.quantile)
  .addOption(new Option('--method <m>', 'score method of the threshold (default: elbo for a VAE, reconstruction for an autoencoder)').choices(['reconstruction', 'elbo', 'iw']))
  .option('--samples <k>', "draws of the 'iw' method", int(1, MAX_IW_SAMPLES))
  .option('--calibrate-limit <n>', 'use the first n rows of --calibrate', int(1))
  .option('--max-body <bytes>', 'largest request body (413 beyond)', bytes(1024, 2 ** 30), D.maxBodyBytes)
  .option('--body-budget <bytes>', 'bytes of all request bodies in flight (503 beyond)', bytes(1024, 2 ** 34), D.bodyBudgetBytes)
  .option('--max-queue <n>', 'requests waiting for the model (503 with Retry-After beyond)', int(1, 1_000_000), D.maxQueue)
  .option('--max-rows <n>', 'rows (or codes) per request', int(1, 1_000_000), D.maxRows)
  .option('--max-sample <n>', 'n of /sample', int(1, 1_000_000), D.maxSample)
  .option('--max-iw-draws <n>', "rows x samples of an 'iw' /score request", int(1, 1e9), D.maxIwDraws)
  .option('--batch-rows <n>', 'most rows in one forward pass', int(1, 1_000_000), D.maxBatchRows)
  .option('--batch-wait <ms>', 'how long a request waits for others to batch with (0: those that arrived together)', int(0, 1000), D.batchWaitMs)
  .option('--headers-timeout <ms>', 'time a client has to send its headers', int(100, 600_000), D.headersTimeoutMs)
  .option('--request-timeout <ms>', 'time a client has to send its whole request (408 beyond)', int(100, 3_600_000), D.requestTimeoutMs)
  .option('--keep-alive-timeout <ms>', 'idle time before a kept-alive connection is closed', int(100, 600_000), D.keepAliveTimeoutMs)
  .option('--drain-timeout <ms>', 'time SIGTERM gives the requests in flight', int(0, 600_000), D.drainTimeoutMs)
  .option('--watch', 'reload the model file when it changes (as SIGHUP does)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action((o: Record<string, unknown>) => serve({
    ...(o as unknown as ServeArgs), maxBodyBytes: o.maxBody as number, bodyBudgetBytes: o.bodyBudget as number, maxBatchRows: o.batchRows as number,
    batchWaitMs: o.batchWait as number, headersTimeoutMs: o.headersTimeout as number, requestTimeoutMs: o.requestTimeout as number,
    keepAliveTimeoutMs: o.keepAliveTimeout as number, drainTimeoutMs: o.drainTimeout as number,
  }, program.opts() as { backend?: 'wasm' | 'js'; threads?: number }));

await program.parseAsync(process.argv);
