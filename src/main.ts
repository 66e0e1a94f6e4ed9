// The process entry (`npm start`, the container's CMD). It turns on Node's module compile cache
// before anything else is loaded, then runs the gateway (run-gateway.ts). Loading and compiling
// the gateway's modules (TypeScript stripped, express, pino, jose, zod…) is most of its start-up;
// with the V8 code cache on disk a restart compiles nothing it compiled before
// (docs/benchmarks.md). The cache lives in NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache;
// where it cannot be written the gateway starts as before, and NODE_DISABLE_COMPILE_CACHE=1
// turns it off. Before that too, node:http is kept from loading undici (a second HTTP stack)
// when the gateway's modules import it (net/drop-http-websocket-exports.ts).

import { enableCompileCache } from 'node:module';
import { dropHttpWebSocketExports } from './net/drop-http-websocket-exports.ts';

dropHttpWebSocketExports();
const cache = enableCompileCache();
// The audit store's worker thread inherits the environment, and with it the same cache.
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory;

await import('./run-gateway.ts');
