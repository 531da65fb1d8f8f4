// The layering of src/ (ARCHITECTURE.md, "Layout and layers"), checked in CI by `npm run lint:deps`.
// Dependencies point down: composition root → http → commands/queries → domain; projections and
// workers → domain and the adapters; the ground floor imports nothing above it. Type-only imports
// count like any other: a type is a dependency too.

/** A path pattern for folders (or files without their .ts) under src/. */
const src = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

const GROUND = ['config', 'logger', 'abortable-pause', 'db', 'metrics', 'write-file-once', 'file-error-reason'];
const LIBRARIES = ['eventstore', 'blobs', 'inference', 'checkpoints', 'privacy', 'notary'];
const COMPOSITION = ['main', 'runtime', 'commit-hooks', 'cli'];

/** `from` may import only `allowed` (and npm packages, node built-ins, itself). */
function onlyDown(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^src/', pathNot: [from, ...allowed] },
  };
}

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No import cycles, type-only ones included.', from: {}, to: { circular: true } },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      comment: 'Production code never imports test code or the shared test/bench support.',
      from: { path: '^src/' },
      to: { path: '^(tests|support|bench|scripts)/' },
    },
    {
      name: 'web-is-the-browser',
      severity: 'error',
      comment: 'The console (web/) runs in the browser: it talks to the API over HTTP, never imports the server, tests or support; nothing imports it.',
      from: { path: '^web/' },
      to: { path: '^(src|tests|support|bench|scripts)/' },
    },
    {
      name: 'nothing-imports-web',
      severity: 'error',
      comment: 'The server serves the console build (dist/web), it does not import its sources (tests may: they unit-test the browser code).',
      from: { path: '^(src|support|bench|scripts)/' },
      to: { path: '^web/' },
    },
    {
      name: 'bench-scripts-not-to-tests',
      severity: 'error',
      comment: 'bench/ and scripts/ share helpers with tests through support/, never through tests/.',
      from: { path: '^(bench|scripts|support)/' },
      to: { path: '^tests/' },
    },
    onlyDown('ground-floor', src(...GROUND), [src(...GROUND)], 'config, logger, db, metrics: the ground floor imports nothing above it.'),
    onlyDown('libraries', src(...LIBRARIES), [src(...LIBRARIES, ...GROUND)], 'The event store, blobs, inference and checkpoints are libraries: no feature code.'),
    onlyDown(
      'domain-is-pure',
      src('domain'),
      [src('domain'), '^src/eventstore/(types|position)\\.ts$', '^src/privacy/declarations\\.ts$'],
      'The domain imports only the domain (and the event store port types, for upcasting; the personal-data declaration types).',
    ),
    onlyDown('auth', src('auth'), [src('domain', ...LIBRARIES, ...GROUND)], 'Tokens and passwords: a library over the domain roles.'),
    onlyDown('commands', src('commands'), [src('domain', 'auth', ...LIBRARIES, ...GROUND)], 'Use cases: load, fold, decide, append. Never read models.'),
    onlyDown(
      'queries',
      src('queries'),
      [src('domain', ...LIBRARIES, ...GROUND), '^src/projections/[^/]+/tables\\.ts$'],
      'Read services: read models (declared by their projection tables.ts) and the log, nothing of the write side.',
    ),
    onlyDown('projections', src('projections'), [src('domain', ...LIBRARIES, ...GROUND)], 'Projections and reactors: the log in, read models or jobs out.'),
    onlyDown('workers', src('workers'), [src('commands', 'projections', 'domain', ...LIBRARIES, ...GROUND)], 'Workers talk to the write side only through commands.'),
    onlyDown('http', src('http'), [src('commands', 'queries', 'domain', 'auth', ...LIBRARIES, ...GROUND)], 'The HTTP edge: commands and queries, never projections or workers.'),
    {
      name: 'nothing-imports-http',
      severity: 'error',
      comment: 'Only the composition root (main, runtime, commit-hooks, cli) wires the HTTP app.',
      from: { path: '^src/', pathNot: [src('http'), src(...COMPOSITION)] },
      to: { path: src('http') },
    },
    {
      name: 'composition-root-is-the-top',
      severity: 'error',
      comment: 'Nothing in src/ imports the composition root (inject what it builds instead).',
      from: { path: '^src/', pathNot: src(...COMPOSITION) },
      to: { path: src(...COMPOSITION) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|models|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
