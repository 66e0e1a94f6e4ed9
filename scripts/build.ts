// `npm run build`: the gateway as it ships, bundled by esbuild into dist/ — dist/main.js, the
// SQLite audit worker beside it, chunks that load only when needed (pg, ioredis, the audit
// report), and the container's other commands (audit-migrate.js, audit-verify.js, simulator.js).
// One file instead of ~650 modules starts faster and holds less memory than the same code
// loaded module by module (docs/benchmarks.md, "Performance notes"), and the runtime image
// needs no node_modules. Type-checking is `npm run typecheck`; the bundle strips types only.
// Every file lands directly in dist/, so `import.meta.url` resolves the same way from each
// (src/package-root.ts, the worker's file name in sqlite-worker-store.ts).

import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DIST = `${ROOT}dist`;

/** Bundles src/ into dist/ (removed first) and returns the entry point, dist/main.js. */
export async function buildGateway(): Promise<string> {
  rmSync(DIST, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: 'src/main.ts',
      'sqlite-audit-worker': 'src/audit/stores/sqlite-audit-worker.ts',
      // The commands the container runs besides the gateway (docs/deploy.md).
      'audit-migrate': 'src/audit/cli/migrate-cli.ts',
      'audit-verify': 'src/audit/cli/verify-cli.ts',
      simulator: 'src/simulator/cli.ts',
    },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Without comments and indentation (names are kept): V8 keeps every script's source in the
    // heap, and a comment outside ASCII makes the whole source two bytes a character. Stack
    // traces point into the bundle; `NODE_OPTIONS=--enable-source-maps` maps them back to src/.
    minifyWhitespace: true,
    sourcemap: 'linked',
    // The CommonJS packages (express and its kin) call require(); in an ES module it must exist.
    banner: {
      js: "import { createRequire as __rescindRequire } from 'node:module'; const require = __rescindRequire(import.meta.url);",
    },
    plugins: [zodWithoutLocales],
    logLevel: 'warning',
  });
  return `${DIST}/main.js`;
}

/**
 * zod's `z.locales`, 60 translations of its messages (~300 KB of source the heap would keep),
 * left out: the gateway never uses them, and zod imports its default English messages directly.
 */
const zodWithoutLocales: Plugin = {
  name: 'zod-without-locales',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/')
        ? { path: 'zod-locales', namespace: 'zod-without-locales' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'zod-without-locales' }, () => ({
      contents: 'export {};',
      loader: 'js',
    }));
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const main = await buildGateway();
  console.log(`built ${main}`);
}
