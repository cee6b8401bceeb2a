#!/usr/bin/env node
// firstcome runs its TypeScript sources with Node's type stripping, which needs Node 24.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `firstcome needs Node.js 24 or later (this is ${process.version}).\n` +
      'Run it through npm (npx firstcome, npm start), which uses the Node 24 that `npm ci` installs.\n',
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
