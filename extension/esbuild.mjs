// Bundles the extension into one file (vscode-jsonrpc included): a small
// VSIX and a fast activation.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  sourcemap: true,
  minify: process.argv.includes('--production'),
  logLevel: 'warning',
});
