// Model files on disk (Node only): saveFile writes atomically (io/file.ts), loadFile reads and
// loads. Node modules are imported dynamically so that browser bundles never load them.
import type { SaveOptions } from '../io/model-file.js';
import { readFileBytes, writeFileAtomic } from '../io/file.js';
import { loadModel, type LoadOptions } from './load.js';
import type { Model } from './model.js';
import type { AnyModel } from './registry.js';

/** Saves a model to a file atomically (Node): temporary file, fsync, rename. */
export async function saveFile(model: Model, file: string, options: SaveOptions = {}): Promise<void> {
  await writeFileAtomic(file, model.save(options));
}

/** Loads a model file (Node). */
export async function loadFile(file: string, options: LoadOptions = {}): Promise<AnyModel> {
  return loadModel(await readFileBytes(file), options);
}
