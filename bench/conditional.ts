// Conditional VAE on MNIST (issue 14's targets), in one run:
//  1. quality: the reference recipe (784-400-20, Bernoulli, Adam 1e-3, batch 128, 10 epochs) with
//     and without the one-hot label as condition (10 more inputs to the encoder and the decoder),
//     same seed; test -ELBO (nats per sample, one z per image; the conditional one under the test
//     labels) after every epoch;
//  2. samples match their label: 100 conditional samples per digit (decoder means), classified
//     by a nearest-class-mean classifier in pixel space (class means of the training images),
//     next to that classifier's accuracy on the real test images;
//  3. speed: one epoch of each model, alternated, 3 rounds on 1 thread and on 2; medians.
//   node scripts/run-ts.mjs bench/conditional.ts [--seed N] [--epochs N] [--beta B] [--latent L] [--rounds N (0: no speed rounds)]
import * as wv from '../src/node.js';
import { machineInfo, markdownTable, writeResults } from './machine.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : dflt;
};
const seed = Number(arg('seed', '1'));
const epochs = Number(arg('epochs', '10'));
const rounds = Number(arg('rounds', '3'));
const beta = Number(arg('beta', '1'));
const latentDim = Number(arg('latent', '20'));
const K = 10;
const model = { inputDim: 784, hiddenDims: [400], latentDim, likelihood: 'bernoulli' as const, activation: 'relu' as const, beta, seed };
const fitOptions = { batchSize: 128, optimizer: { type: 'adam' as const, lr: 1e-3 } };

await wv.init({ threads: 2 });
const { train, test } = await wv.datasets.mnist();
const cTrain = wv.oneHot(train.labels, K);
const cTest = wv.oneHot(test.labels, K);
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// 1. quality
const curves: Record<'plain' | 'conditional', number[]> = { plain: [], conditional: [] };
const trained: Record<string, wv.VAE> = {};
for (const kind of ['plain', 'conditional'] as const) {
  const vae = new wv.VAE({ ...model, ...(kind === 'conditional' ? { conditionDim: K } : {}) });
  const t0 = performance.now();
  await vae.fit(train.images, {
    ...fitOptions, epochs, validationData: test.images,
    ...(kind === 'conditional' ? { condition: cTrain, validationCondition: cTest } : {}),
    onEpochEnd: (epoch, logs) => {
      curves[kind].push(logs.valLoss as number);
      console.log(`${kind} epoch ${epoch}: test -ELBO ${(logs.valLoss as number).toFixed(2)}  ${logs.samplesPerSec.toFixed(0)} samples/s  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
  trained[kind] = vae;
}

// 2. samples of each digit against a nearest-class-mean classifier
const D = 784;
const means = new Float64Array(K * D);
const counts = new Float64Array(K);
for (let i = 0; i < train.images.rows; i++) {
  const label = train.labels[i];
  counts[label]++;
  for (let j = 0; j < D; j++) means[label * D + j] += train.images.data[i * D + j];
}
for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) means[k * D + j] /= counts[k];
const classify = (row: Float32Array): number => {
  let best = 0;
  let bestDist = Infinity;
  for (let k = 0; k < K; k++) {
    let d = 0;
    for (let j = 0; j < D; j++) d += (row[j] - means[k * D + j]) ** 2;
    if (d < bestDist) [best, bestDist] = [k, d];
  }
  return best;
};
let realRight = 0;
for (let i = 0; i < test.images.rows; i++) if (classify(test.images.data.subarray(i * D, (i + 1) * D)) === test.labels[i]) realRight++;
const asked = Array.from({ length: 100 * K }, (_, i) => Math.floor(i / 100));
const samples = trained.conditional.sample(asked.length, { condition: wv.oneHot(asked, K), seed });
const perDigit = new Array(K).fill(0);
for (let i = 0; i < asked.length; i++) if (classify(samples.data.subarray(i * D, (i + 1) * D)) === asked[i]) perDigit[asked[i]]++;
const sampleAccuracy = perDigit.reduce((a, b) => a + b, 0) / asked.length;
const realAccuracy = realRight / test.images.rows;
console.log(`samples classified as asked: ${(100 * sampleAccuracy).toFixed(1)}% (per digit ${perDigit.join(' ')}); the classifier on real test images: ${(100 * realAccuracy).toFixed(1)}%`);

// 3. speed: one epoch each, alternated
const speed: Record<number, { plain: number[]; conditional: number[] }> = {};
for (const threads of rounds > 0 ? [1, 2] : []) {
  await wv.init({ threads });
  speed[threads] = { plain: [], conditional: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['plain', 'conditional'] as const) {
      const vae = new wv.VAE({ ...model, ...(kind === 'conditional' ? { conditionDim: K } : {}) });
      const h = await vae.fit(train.images, { ...fitOptions, epochs: 1, ...(kind === 'conditional' ? { condition: cTrain } : {}) });
      speed[threads][kind].push(h.samplesPerSec[0]);
      vae.dispose();
    }
  }
  const [p, c] = [median(speed[threads].plain), median(speed[threads].conditional)];
  console.log(`${threads} thread(s): plain ${p.toFixed(0)} samples/s, conditional ${c.toFixed(0)} samples/s: ${(c / p).toFixed(3)}x`);
}

const info = machineInfo();
const last = (v: number[]): number => v[v.length - 1];
const md = `# Conditional VAE on MNIST, seed ${seed} (${info.date.slice(0, 10)}, ${info.cpu}, ${info.cores} cores, Node ${info.node})\n\n` +
  `Recipe: 784-400-${latentDim} ReLU, Bernoulli${beta !== 1 ? `, beta ${beta}` : ''}, Adam 1e-3, batch 128, ${epochs} epochs; the conditional model takes the one-hot label (10 inputs) ` +
  'in its encoder\'s first layer and its decoder\'s first layer. Test -ELBO in nats per sample on the 10,000 test images, one z per image.\n\n' +
  markdownTable(['epoch', 'plain test -ELBO', 'conditional test -ELBO', 'difference'],
    curves.plain.map((v, i) => [i + 1, v.toFixed(2), curves.conditional[i].toFixed(2), (v - curves.conditional[i]).toFixed(2)])) +
  `\nAfter ${epochs} epochs the conditional model is ${(last(curves.plain) - last(curves.conditional)).toFixed(2)} nats lower (target: lower).\n\n` +
  `Samples match their label: ${(100 * sampleAccuracy).toFixed(1)}% of ${asked.length} conditional samples (100 per digit) are classified as the asked digit ` +
  `by a nearest-class-mean classifier in pixel space (target: >= 90%); per digit 0-9: ${perDigit.join(', ')}. ` +
  `The same classifier on the real test images: ${(100 * realAccuracy).toFixed(1)}%.\n\n` +
  (rounds > 0 ? `Training speed, one epoch each, alternated, median of ${rounds} (target: conditional within 5%):\n\n` +
  markdownTable(['threads', 'plain samples/s', 'conditional samples/s', 'conditional / plain'],
    [1, 2].map((t) => {
      const [p, c] = [median(speed[t].plain), median(speed[t].conditional)];
      return [t, p.toFixed(0), c.toFixed(0), (c / p).toFixed(3)];
    })) : '');
const files = writeResults(`conditional-seed${seed}-${epochs}epochs${beta !== 1 ? `-beta${beta}` : ''}${latentDim !== 20 ? `-latent${latentDim}` : ''}`, info, { seed, epochs, beta, latentDim, curves, sampleAccuracy, perDigit, realAccuracy, speed }, md);
console.log(`\n${md}\nwrote ${files.join(', ')}`);
