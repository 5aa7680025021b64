// `npm start`: runs the server from src/ compiled by esbuild, in this process
// (docs/decisions/start-bundle.md).
//
// Loading src/ through tsx costs about a second of start-up (each module transformed on an ESM
// hook thread, on every start); esbuild bundles src/ (not node_modules) into one CommonJS file
// in about half a second, once per change of the sources. The bundle is kept in
// .cache/start-<hash of src/, tsconfig.json, this script and the esbuild version>/main.js (git-ignored), so
// a fresh clone, an edited file, a new or a deleted one all build a new bundle before starting;
// an unchanged tree starts the cached one. Tests and the other commands still run the sources
// through tsx or jest; `npm run build` (tsc -> dist/) is what the Docker image runs, and where
// there is no src/ (the image) this script starts dist/app/main.js.
//
// The bundle sits two directories below the repository, like src/<dir>/<file>.ts and
// dist/<dir>/<file>.js, so that paths built from __dirname (src/store/migrate.ts: ../../sql) find
// the same files.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = path.join(root, '.cache');
const require = createRequire(path.join(root, 'package.json'));

/** Every file under src/ (sorted), with tsconfig.json: what the bundle is built from. */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(root, 'src'));
  files.sort();
  files.push(path.join(root, 'tsconfig.json'));
  return files;
}

function loadEsbuild() {
  // esbuild comes with tsx (a devDependency, as tsx is what `npm start` needed before).
  return require(require.resolve('esbuild', { paths: [root, path.join(root, 'node_modules', 'tsx')] }));
}

function fingerprint(esbuildVersion) {
  // This script too: a change of how the bundle is made makes a new one.
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`).update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of sourceFiles()) {
    hash
      .update(`${path.relative(root, file)}\n`)
      .update(readFileSync(file))
      .update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The bundle of the current sources: the cached one, or a new one built now. */
function bundle() {
  const esbuild = loadEsbuild();
  const name = `start-${fingerprint(esbuild.version)}`;
  const dir = path.join(cacheRoot, name);
  const main = path.join(dir, 'main.js');
  if (existsSync(main)) return main;
  const started = performance.now();
  process.stderr.write('compiling src/ (first start after a change of the sources)\n');
  // Built beside its final place and renamed, so that a second server starting at the same
  // time never runs a half-written bundle.
  const building = path.join(cacheRoot, `${name}.building-${process.pid}`);
  mkdirSync(building, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: [path.join(root, 'src', 'app', 'main.ts')],
      outfile: path.join(building, 'main.js'),
      bundle: true,
      packages: 'external',
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    // The patient pages serve their style sheets and scripts from join(__dirname, 'assets'):
    // beside the bundle, as the Docker image puts them beside dist/web/patient/index.js.
    cpSync(path.join(root, 'src', 'web', 'patient', 'assets'), path.join(building, 'assets'), { recursive: true });
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(main)) throw error; // otherwise another start built the same bundle first
  }
  for (const entry of readdirSync(cacheRoot)) {
    if (entry.startsWith('start-') && entry !== name && !entry.includes('.building-')) {
      rmSync(path.join(cacheRoot, entry), { recursive: true, force: true });
    }
  }
  process.stderr.write(
    `compiled src/ into ${path.relative(root, main)} in ${Math.round(performance.now() - started)} ms\n`,
  );
  return main;
}

let main;
try {
  // Without src/ (the Docker image: npm run build's output and production dependencies only)
  // the compiled dist/ is what runs.
  main = existsSync(path.join(root, 'src', 'app', 'main.ts')) ? bundle() : path.join(root, 'dist', 'app', 'main.js');
} catch (error) {
  process.stderr.write(`Failed to compile src/: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
// Stack traces in logs name the lines of src/, as they did under tsx.
process.setSourceMapsEnabled(true);
require(main);
