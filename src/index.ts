// wavae's public API: re-exports only.
export { init, backendName } from './backend/index.js';
export type { InitOptions, BackendName, Act } from './backend/index.js';
export { WavaeError } from './errors.js';
export type { WavaeErrorCode } from './errors.js';
export { Rng } from './random.js';
