// The datasets namespace of the public API.
export { mnist } from './mnist.js';
export type { LabeledImages } from './mnist.js';
