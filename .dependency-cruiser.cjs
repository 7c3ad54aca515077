// The layers of wavae (DESIGN.md, "Layers of the house": data flows down, imports point down),
// checked by dependency-cruiser over src/: `npm run check:layers` (CI runs it before the tests;
// test/layering.test.ts runs it on the tree and on a tree that breaks every rule).
// src/backend/generated/ and src/worker/generated/ are written by the build: build first.
//
//   cli -> serve -> models -> train, nn, io, data -> backend -> (assembly/, the generated wasm)
//
// Type-only imports count as dependencies (tsPreCompilationDeps): `import type` of a class of a
// layer above is as much a dependency on it as a value import, and a circle of types is a circle.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'assembly-outside-backend',
      severity: 'error',
      comment:
        'Only src/backend/ touches the kernels: assembly/ (AssemblyScript) and the wasm modules the ' +
        'build embeds in src/backend/generated/. Everything else reaches them through the Backend ' +
        'interface, so the pure-JS reference backend can stand in for the wasm one everywhere.',
      from: { path: '^src/', pathNot: '^src/backend/' },
      to: { path: '^(assembly|src/backend/generated)/' },
    },
    {
      name: 'backend-imports-upper-layer',
      severity: 'error',
      comment:
        'src/backend/ (the Backend interface over one kernel table: wasm, js, threads) knows no ' +
        'layer, model, trainer, file, dataset, command, service or worker: it is the bottom of the ' +
        'house, primitive ops on buffer handles.',
      from: { path: '^src/backend/' },
      to: { path: '^src/(nn|models|train|io|data|cli|serve|worker)/' },
    },
    {
      name: 'nn-imports-upper-layer',
      severity: 'error',
      comment:
        'src/nn/ (layers: forward + backward, parameter shapes and names, buffer plan) knows no ' +
        'model, trainer, model file, command, service or worker: models compose layers, never the ' +
        'other way round.',
      from: { path: '^src/nn/' },
      to: { path: '^src/(models|train|io|cli|serve|worker)/' },
    },
    {
      name: 'io-imports-upper-layer',
      severity: 'error',
      comment:
        'src/io/ (safetensors, model files: names <-> tensors) knows no model class: a registry in ' +
        'src/models/ maps a file\'s kind to its class. Nor does it know the trainer, the command, ' +
        'the service or the worker.',
      from: { path: '^src/io/' },
      to: { path: '^src/(models|train|cli|serve|worker)/' },
    },
    {
      name: 'train-imports-upper-layer',
      severity: 'error',
      comment:
        'src/train/ (the fit loop over anything that offers a step; optimizers; schedules) knows no ' +
        'model kind and no model file, command, service or worker: a model hands it a step.',
      from: { path: '^src/train/' },
      to: { path: '^src/(models|io|cli|serve|worker)/' },
    },
    {
      name: 'library-imports-cli',
      severity: 'error',
      comment:
        'src/cli/ (the `wavae` command, Node only) is the top of the house: nothing in the library ' +
        'imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'library-imports-serve',
      severity: 'error',
      comment:
        'src/serve/ (the HTTP service over the library, Node only) sits above the library: only the ' +
        'command (src/cli/) imports it.',
      from: { path: '^src/', pathNot: '^src/(serve|cli)/' },
      to: { path: '^src/serve/' },
    },
    {
      name: 'backend-deep-import',
      severity: 'error',
      comment:
        'src/backend/index.ts is the backend\'s one door: outside src/backend/, import the backend ' +
        'only from there, so its internals (kernels, heap, threads, the active backend) can change ' +
        'without touching the layers above.',
      from: { path: '^src/', pathNot: '^src/backend/' },
      to: { path: '^src/backend/', pathNot: '^src/backend/index\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import circles, type-only imports included: every layer depends only on layers below ' +
        'it, and a file that needs what imports it means a responsibility is in the wrong place.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'Every import resolves to a file or an installed package (Node built-ins are resolvable): ' +
        'a rule cannot place what it cannot find. Missing src/*/generated/ files mean the build has ' +
        'not run.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
