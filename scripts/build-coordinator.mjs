// `npm run build`: bundles the coordinator app (src/web/coordinator/app/, TypeScript) with
// esbuild into dist/web/coordinator/coordinator-app.js, the script the image serves.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'web', 'coordinator', 'coordinator-app.js');
mkdirSync(path.dirname(outfile), { recursive: true });
await build({
  entryPoints: [path.join(root, 'src', 'web', 'coordinator', 'app', 'main.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  outfile,
});
console.log(`coordinator app: ${path.relative(root, outfile)}`);
