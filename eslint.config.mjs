import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md): a folder imports only from its own layer or the
 * layers below it, and src/config.ts is open to all.
 *   fhir <- store <- services, workflows, content, operations <- http, auth, web <- app, cli
 * Within the middle layer, operations/ (the generic FHIR operations) does not import workflows/
 * (which holds the workflow operations and imports the Operation interface from operations/).
 */
const LAYERS = [
  { folders: ['fhir'], above: ['store', 'services', 'workflows', 'content', 'operations', 'http', 'auth', 'web', 'app', 'cli'] },
  { folders: ['store'], above: ['services', 'workflows', 'content', 'operations', 'http', 'auth', 'web', 'app', 'cli'] },
  { folders: ['services', 'workflows', 'content'], above: ['http', 'auth', 'web', 'app', 'cli'] },
  { folders: ['operations'], above: ['workflows', 'http', 'auth', 'web', 'app', 'cli'] },
  { folders: ['http', 'auth', 'web'], above: ['app', 'cli'] },
];

/**
 * Resources are read and written through store/repository.ts only, which applies the access
 * policy it was built with: the modules that run its SQL are private to src/store/, and so is
 * database-handle.ts, which gives the store's modules the query handle of a Database.
 */
const STORE_PRIVATE = ['resource-store', 'search/search-query', 'access-queries', 'database-handle'];
const storePrivate = STORE_PRIVATE.map((module) => ({
  // From a layer folder (../store/) or from src/config.ts (./store/).
  regex: `^(\\./|(\\.\\./)+)store/${module}$`,
  message: `store/${module} is private to src/store/: read and write resources through the Repository (store/repository.ts), other tables through the store module that runs their SQL.`,
}));

/** SQL runs in src/store/ only: no other folder of src/ (nor src/config.ts) imports the query builder or a database driver. */
const DATABASE_LIBRARIES = ['kysely', 'pg', '@electric-sql/pglite'];
const databaseLibraries = DATABASE_LIBRARIES.map((library) => ({
  regex: `^${library}(/|$)`,
  message: `${library} is used in src/store/ only: put the SQL in a store module that takes the Database, and call that.`,
}));

const layerRules = [...LAYERS, { folders: ['app', 'cli'], above: [] }].map(({ folders, above }) => ({
  files: folders.map((folder) => `src/${folder}/**/*.ts`),
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...above.map((folder) => ({
            // A relative import that climbs to src/ and enters the folder (names inside folders, e.g. http/app.ts, are not layers).
            regex: `^(\\.\\./)+${folder}(/|$)`,
            message: `src/${folder}/ is not below this folder (the layers: docs/architecture.md): move what is needed down, or hand it in from src/app/.`,
          })),
          ...(folders.includes('fhir') || folders.includes('store') ? [] : storePrivate),
          ...(folders.includes('store') ? [] : databaseLibraries),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'bench/results/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON bodies of many shapes; `any` keeps their assertions readable.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...layerRules,
  {
    // Files of src/ outside the layer folders (src/config.ts).
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...storePrivate, ...databaseLibraries] }] },
  },
  {
    // The FHIR interactions, workflows and operations reach the database through the Repository only.
    files: ['src/services/**/*.ts', 'src/workflows/**/*.ts', 'src/operations/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='db']",
          message: 'No database handle here: read and write resources through the Repository (service.repository), which applies the access policy.',
        },
      ],
    },
  },
);
