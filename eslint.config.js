// ESLint 9 flat config. Beyond a few correctness rules it encodes the architecture of DESIGN.md §3:
// which src/ folder may import which (import-x/no-restricted-paths), no import cycles, no floating
// promises, and type-only imports marked as such. Run with `npm run lint`.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Folders under src/ (besides the one importing) that a folder must not import from. */
const FORBIDDEN = {
  // Pure types, validation and the error catalog: nothing of ours.
  domain: { except: ['./domain'] },
  // Generated protocol code.
  proto: { except: ['./proto'] },
  // The metrics registry and listener: a leaf every layer (the agent too) registers its instruments on.
  metrics: { except: ['./metrics'] },
  // The host agent runs on every host with only the protocol, its drivers, the metrics registry and the build's version.
  agent: { except: ['./agent', './proto', './metrics', './version.ts'] },
  // Routes call services; they never touch the database or the processes below.
  api: { from: ['store', 'agent', 'cli', 'bench', 'dataplane', 'southbound', 'migrate', 'testbed'] },
  // Business logic sits on the store; nothing above it or beside it in the pipeline.
  services: { from: ['api', 'agent', 'cli', 'bench', 'dataplane', 'southbound', 'migrate', 'testbed'] },
  // The store knows no business logic.
  store: { from: ['api', 'services', 'agent', 'cli', 'bench', 'dataplane', 'southbound', 'migrate', 'testbed'] },
  dataplane: { from: ['api', 'agent', 'cli', 'bench', 'migrate', 'testbed'] },
  southbound: { from: ['api', 'cli', 'bench', 'migrate', 'testbed'] },
  // Tools sit on top: nothing but the CLI (and benchmarks driving them) imports them.
  migrate: { from: ['api', 'cli', 'bench', 'testbed'] },
  // Events to Nova consume what the store committed, beside the data plane.
  notify: { from: ['api', 'services', 'agent', 'cli', 'bench', 'dataplane', 'southbound', 'migrate', 'testbed'] },
};

const zones = Object.entries(FORBIDDEN).flatMap(([target, rule]) =>
  rule.except
    ? [{ target: `./src/${target}`, from: './src', except: rule.except, message: `src/${target} may import only ${rule.except.join(', ')} (DESIGN.md §3).` }]
    : rule.from.map((from) => ({ target: `./src/${target}`, from: `./src/${from}`, message: `src/${target} must not import src/${from} (DESIGN.md §3).` })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/proto/alcor/**', 'data/**', '.tmp/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'web/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-syntax': [
        'error',
        { selector: "ThrowStatement > NewExpression[callee.name='Error']", message: 'Throw a catalog error from src/domain/errors.ts.' },
      ],
    },
  },
  {
    // The `throw new Error(` ban applies to services and api only (STYLE.md 4).
    files: ['src/**/*.ts', 'test/**/*.ts', 'web/**/*.ts'],
    ignores: ['src/services/**', 'src/api/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
