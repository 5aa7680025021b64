import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `npm run build` writes the app's bundle: next to the compiled router (dist/web/coordinator/). */
export const PREBUILT_BUNDLE = join(__dirname, 'coordinator-app.js');

/** The repository (the folder with package.json) above a folder. */
function repositoryRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The app's style sheet: next to the compiled router in the image (dist/web/coordinator/assets),
 * in the sources otherwise (`npm start` runs a bundle of src/ from another folder).
 */
export function styleSheet(): string {
  const beside = join(__dirname, 'assets', 'coordinator.css');
  const root = repositoryRoot(__dirname);
  return existsSync(beside) || root === undefined ? beside : join(root, 'src', 'web', 'coordinator', 'assets', 'coordinator.css');
}

/** The app's entry point in the sources. */
export function appEntry(root: string): string {
  return join(root, 'src', 'web', 'coordinator', 'app', 'main.ts');
}

/** The esbuild options of the bundle: one script, no source map, for browsers of the last years. */
export function bundleOptions(root: string) {
  return {
    entryPoints: [appEntry(root)],
    bundle: true,
    format: 'iife' as const,
    platform: 'browser' as const,
    target: ['es2020'],
    minify: true,
    legalComments: 'none' as const,
    logLevel: 'silent' as const,
  };
}

interface EsbuildLike {
  build(options: ReturnType<typeof bundleOptions> & { write: false }): Promise<{ outputFiles: { text: string }[] }>;
}

/**
 * The coordinator app's script. The image serves the bundle `npm run build` made; `npm start`
 * and the tests bundle the TypeScript sources with esbuild (a development dependency) once, on
 * first use.
 */
export function appBundle(): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  return () => {
    bundle ??= (async () => {
      if (existsSync(PREBUILT_BUNDLE)) return readFileSync(PREBUILT_BUNDLE, 'utf8');
      const root = repositoryRoot(__dirname);
      if (root === undefined || !existsSync(appEntry(root))) throw new Error('The coordinator app has no bundle: run npm run build');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const esbuild = require('esbuild') as EsbuildLike;
      const result = await esbuild.build({ ...bundleOptions(root), write: false });
      return result.outputFiles[0].text;
    })();
    bundle.catch(() => {
      bundle = undefined;
    });
    return bundle;
  };
}
