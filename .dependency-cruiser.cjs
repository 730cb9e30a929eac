// The layer rule and the cycle check, over the whole of src/. Why dependency-cruiser rather than eslint's
// no-restricted-imports: it sees the module graph (so it finds cycles, which a per-file rule cannot) and one
// generated rule per layer keeps the order below the single source of truth.

/**
 * The layers, bottom up: a folder imports only folders on earlier lines. Folders on one line are siblings and
 * do not import each other. README "How it is built" lists them in this order.
 */
const LAYERS = [
  ['core'],
  ['packet'],
  ['scheduler'],
  ['link'],
  ['routing'],
  ['netfilter'],
  ['nftables'],
  ['trace'],
  ['node'],
  ['apps'],
  ['topology'],
  ['export'],
  ['lab'],
  ['import', 'matrix'],
  ['capture'],
  ['scenario'],
  ['session'],
  ['ui', 'feed', 'bench'],
  ['cli'],
];

// A folder missing from LAYERS would escape the layer rule silently, so an unlisted folder stops the lint.
const unlayered = require('node:fs')
  .readdirSync('src', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !LAYERS.flat().includes(entry.name))
  .map((entry) => entry.name);
if (unlayered.length > 0) throw new Error(`src/${unlayered.join(', src/')}: not in LAYERS of .dependency-cruiser.cjs`);

/** The one intended cycle: the kernel-shaped calls of the packet path (receive, send, bridge, ICMP errors, the hooks). */
const KERNEL_PATH_CYCLE = '^src/node/(ip-input|ip-output|l2|icmp|hooks)[.]ts$';

/** The benchmarks' workload generators: tests of any layer may use them to make big inputs. */
const BENCH_GENERATORS = '^src/bench/[^/]+-gen[.]ts$';

const folders = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.flatMap((line, i) =>
  line.map((folder) => {
    const above = LAYERS.slice(i + 1).flat();
    const siblings = line.filter((f) => f !== folder);
    return {
      name: `layer-${folder}`,
      comment: `${folder} may import only the layers below it (${LAYERS.slice(0, i).flat().join(', ') || 'none'})`,
      severity: 'error',
      from: { path: folders([folder]) },
      // The benchmarks' workload generators are also test data (rule 'bench-generators-only-in-tests').
      to: { path: folders([...above, ...siblings]), pathNot: BENCH_GENERATORS },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-runtime-cycle',
      comment:
        'A cycle of runtime imports makes module load order matter. Type-only imports are erased and may point back ' +
        '(a `Node` type in the packet path); only the kernel path cycle is allowed.',
      severity: 'error',
      from: {},
      to: {
        circular: true,
        dependencyTypesNot: ['type-only'],
        viaOnly: { dependencyTypesNot: ['type-only'] },
        via: { pathNot: KERNEL_PATH_CYCLE },
      },
    },
    {
      name: 'bench-generators-only-in-tests',
      comment: 'Outside src/bench, only tests may import the workload generators: they are not part of the product.',
      severity: 'error',
      from: { pathNot: '([.]test[.]tsx?$|/testing/|^src/bench/|^test/)' },
      to: { path: BENCH_GENERATORS },
    },
    {
      name: 'no-test-helpers-in-dist',
      comment:
        'Test helpers live in testing/ folders beside the code they serve and are not built into dist: ' +
        'only tests, other helpers and the benchmarks (built apart, into dist-bench) import them.',
      severity: 'error',
      from: { pathNot: '([.]test[.]tsx?$|/testing/|^src/bench/|^test/)' },
      to: { path: '/testing/' },
    },
  ],
  options: {
    includeOnly: '^(src|test)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    moduleSystems: ['es6'],
  },
};
