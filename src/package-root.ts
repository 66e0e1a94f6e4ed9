// The package's root folder, where package.json and config/ are: one level up from this file,
// which lies directly in src/ (run as TypeScript) or, bundled, in dist/ (scripts/build.ts).
export const PACKAGE_ROOT: URL = new URL('../', import.meta.url);
