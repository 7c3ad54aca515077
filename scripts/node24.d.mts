// Types of scripts/node24.mjs (a plain script, so that it runs before anything is built).
export declare const NODE24_VERSION: string;
/** { path } of a working Node 24 binary (installed into the cache if missing), or { path: null, why }. */
export declare function node24(): { path: string; why: null } | { path: null; why: string };
