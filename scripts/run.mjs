// `npm run client|load|reindex -- …`: runs one command of the server, from src/ in a checkout
// (through tsx, no build step) or from dist/ where there is no src/ (the Docker image, which
// holds `npm run build`'s output and production dependencies only). The same script names work
// in both places.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const [command, ...args] = process.argv.slice(2);
if (command === undefined || !/^[a-z]+(\/[a-z-]+)+$/.test(command)) {
  process.stderr.write('usage: node scripts/run.mjs <dir>/<command> [arguments]\n');
  process.exit(2);
}

const source = path.join(root, 'src', `${command}.ts`);
const built = path.join(root, 'dist', `${command}.js`);
// The command reads its arguments from process.argv.slice(2), as when run directly.
process.argv = [process.argv[0], existsSync(source) ? source : built, ...args];
if (existsSync(source)) {
  require('tsx/cjs/api').register();
  require(source);
} else if (existsSync(built)) {
  require(built);
} else {
  process.stderr.write(`Neither ${path.relative(root, source)} nor ${path.relative(root, built)} exists: run npm run build first.\n`);
  process.exit(1);
}
