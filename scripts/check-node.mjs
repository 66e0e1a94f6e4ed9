// Plain JavaScript on purpose: this must give a clear message even on the machine's older Node.
// `npm run` puts node_modules/.bin first on PATH, where the `node` devDependency provides Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Rescind needs Node 24 or newer, but this is Node ${process.versions.node}.\n` +
      'Run `npm ci` first: it installs Node 24 from the npm registry into node_modules/.bin,\n' +
      'which every npm script uses.',
  );
  process.exit(1);
}
