/**
 * The never-arrows of docs/ARCHITECTURE.md, checked against the real import graph by
 * `npm run lint`. Each rule names the arrow it forbids and why it would rot the design.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Files that import each other cannot be understood, tested or moved one at a time.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'workflows-do-no-io',
      severity: 'error',
      comment:
        'Workflows are deterministic and do no I/O: the database, the providers and HTTP are reached through activities.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/(db|providers|api)/' },
    },
    {
      name: 'workflows-know-activities-by-type',
      severity: 'error',
      comment: 'A workflow calls activities through proxies; importing their code would run I/O inside the sandbox.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Rules know no transport, storage, vendor or orchestration.',
      from: { path: '^src/domain/' },
      to: { path: '^src/(api|db|providers|workflows|activities|temporal)/|^src/[^/]+\\.ts$' },
    },
    {
      name: 'contract-imports-nothing-of-ours',
      severity: 'error',
      comment: 'The channel contract is shared by the API and the domain, so it may depend on neither.',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'providers-know-no-channel-or-orchestration',
      severity: 'error',
      comment: 'Adapters implement the provider protocol; the channel API and the workflows are not theirs to know.',
      from: { path: '^src/providers/' },
      to: { path: '^src/(api|workflows|activities)/' },
    },
    {
      name: 'storage-knows-no-transport',
      severity: 'error',
      comment: 'The reporting copy is read by the API and written by activities; it knows neither.',
      from: { path: '^src/db/' },
      to: { path: '^src/(api|workflows|activities)/' },
    },
    {
      name: 'api-sends-messages-to-workflows',
      severity: 'error',
      comment: 'The API starts workflows and sends them messages by their definitions; it never runs workflow code.',
      from: { path: '^src/api/' },
      to: { path: '^src/workflows/', pathNot: '^src/workflows/(messages|search-attributes)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
