// Training quality on MNIST against the PyTorch reference (pytorch/examples vae): grey levels,
// 784-400-20 ReLU, Bernoulli likelihood, batch 128, Adam lr 1e-3, 10 epochs; reference test loss
// (-ELBO, nats per sample, 10,000 test images) 126.9 after epoch 1 and 105.2-105.6 after 10.
//   node scripts/run-ts.mjs bench/quality.ts [--recipe reference|default|conv] [--seed N] [--epochs N] [--backend wasm|js]
import * as wv from '../src/node.js';
import { CONV_RECIPE, DEFAULT_RECIPE, REFERENCE_RECIPE, type Recipe } from '../src/models/recipes.js';
import { machineInfo, markdownTable, writeResults } from './machine.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : dflt;
};
const recipeName = arg('recipe', 'reference');
const recipe: Recipe = recipeName === 'default' ? DEFAULT_RECIPE : recipeName === 'conv' ? CONV_RECIPE : REFERENCE_RECIPE;
const seed = Number(arg('seed', '1'));
const epochs = Number(arg('epochs', String(recipe.epochs)));
const backend = arg('backend', 'wasm') as 'wasm' | 'js';

await wv.init({ backend });
const { train, test } = await wv.datasets.mnist();
const vae = new wv.VAE({ ...(recipe.model.inputShape ? {} : { inputDim: 784 }), ...recipe.model, seed });
// PyTorch on this machine: the dense reference (pytorch/examples vae), and the conv recipe's architecture with the same training
const conv = recipeName === 'conv';
const reference: (number | null)[] = conv ? [129.6, 111.8, 107.1, 104.7, 102.6, 101.4, 101.1, 100.3, 99.7, 99.1] : [126.9, null, null, null, null, null, null, null, null, 105.4];
const rows: { epoch: number; trainLoss: number; testLoss: number; testRecon: number; testKl: number; samplesPerSec: number; seconds: number }[] = [];
const t0 = performance.now();
console.log(`quality: recipe ${recipeName} ${JSON.stringify(recipe)} seed ${seed} on ${wv.backendName()}`);
await vae.fit(train.images, {
  ...recipe.fit, epochs, validationData: test.images,
  onEpochEnd: (epoch, logs) => {
    const row = {
      epoch, trainLoss: logs.loss, testLoss: logs.valLoss as number, testRecon: logs.valReconstruction as number,
      testKl: logs.valKl as number, samplesPerSec: logs.samplesPerSec, seconds: (performance.now() - t0) / 1000,
    };
    rows.push(row);
    console.log(`epoch ${epoch}: train ${row.trainLoss.toFixed(2)}  test ${row.testLoss.toFixed(2)} (recon ${row.testRecon.toFixed(2)}, kl ${row.testKl.toFixed(2)})  ${row.samplesPerSec.toFixed(0)} samples/s  ${row.seconds.toFixed(1)} s`);
  },
});
const info = machineInfo();
const md = `# VAE quality on MNIST: recipe '${recipeName}', seed ${seed}, backend ${wv.backendName()} (${info.date.slice(0, 10)}, ${info.cpu})\n\n` +
  `Recipe: \`${JSON.stringify(recipe)}\`. Test loss is the negative ELBO in nats per sample on the 10,000 test images ` +
  (conv ? '(one z sample per image); PyTorch on this machine: 129.6 after epoch 1, 99.1 after epoch 10.\n\n'
    : '(one z sample per image); the PyTorch reference is 126.9 after epoch 1 and 105.2-105.6 after epoch 10.\n\n') +
  markdownTable(['epoch', 'train loss', 'test loss', 'PyTorch reference', 'test recon', 'test KL', 'samples/s', 'wall s'],
    rows.map((r) => [r.epoch, r.trainLoss.toFixed(2), r.testLoss.toFixed(2), reference[r.epoch - 1] === null || r.epoch > 10 ? '' : r.epoch === 10 && !conv ? '105.2-105.6' : String(reference[r.epoch - 1]),
      r.testRecon.toFixed(2), r.testKl.toFixed(2), r.samplesPerSec.toFixed(0), r.seconds.toFixed(1)]));
const files = writeResults(`quality-${recipeName}-seed${seed}-${wv.backendName()}`, info, { recipe, seed, rows }, md);
console.log(`\n${md}\nwrote ${files.join(', ')}`);
