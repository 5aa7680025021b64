/**
 * Runs a representative part of the integration suite through PgBouncer in transaction mode:
 * builds the throwaway cluster of test/support/pg-cluster.ts, points the tests' DATABASE_URL at
 * its PgBouncer with DATABASE_PREPARED_STATEMENTS=false, runs the files, and removes the cluster.
 * `npx tsx test/cluster/through-pgbouncer.ts [test files…]` (part of `npm run test:cluster`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startPgCluster } from '../support/pg-cluster';

const DEFAULT_FILES = [
  'test/integration/foundation/crud.test.ts',
  'test/integration/foundation/bundle.test.ts',
  'test/integration/foundation/lifecycle.test.ts',
  'test/integration/http',
  'test/integration/search/search-features.test.ts',
  'test/integration/search/paging.test.ts',
  'test/integration/security/backend-services.test.ts',
  'test/integration/workflows/questionnaire-workflow.test.ts',
];

async function main(): Promise<number> {
  const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_FILES;
  const cluster = await startPgCluster();
  try {
    const root = path.resolve(__dirname, '..', '..');
    const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const child = spawn(process.execPath, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jest, '--runInBand', ...files], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: cluster.bouncerUrl('postgres'), DATABASE_PREPARED_STATEMENTS: 'false' },
    });
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    await cluster.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
