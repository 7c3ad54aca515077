// The datasets namespace of the platform-neutral API: MNIST fetched over HTTP.
export { mnist } from './mnist.js';
export type { LabeledImages } from './mnist.js';
