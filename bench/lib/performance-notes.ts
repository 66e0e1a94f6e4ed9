// The hand-written part of docs/benchmarks.md: what profiling found, what was changed, what
// remains. Figures quoted here come from runs whose commands are named beside them.
export const PERFORMANCE_NOTES = `## Performance notes

### How the hot spots were found

\`npm run bench -- --cpu-prof\` writes a V8 CPU profile of each gateway process to
\`bench/results/profiles/\`; \`node_modules/.bin/node bench/profile-summary.ts <file>\` lists self time by module and
by function, and total time of the gateway's own functions. Share of the gateway's main-thread
busy time in the first profile (before any change), at ~1,600 revocations/s:

| hot spot | share | what it was |
| --- | --: | --- |
| SQLite \`append\` (inserts + \`COMMIT\`) | 19 % | two records per request, each in 7 B-trees; the COMMIT writes the WAL pages and fsyncs |
| JWT signature check (ES256 via WebCrypto, jose) | 17 % | every request verified the same token again |
| garbage collection | 9 % | |
| canonical JSON | 7 % | every record serialized twice (once for its hash, once for its stored body) |
| token redaction (\`sharesPart\`) | 6 % | every answer's request id searched in the ~9 KB IAM token, 16 characters at a time |
| \`randomBytes\` | 3 % | one getrandom call per trace id and span id |

### What was changed (src/)

Before: \`npm run bench -- --no-write\` on the same machine, before any change: Rescind (log
\`info\`) 1,655 req/s at 0.669 ms of CPU per request, d/b 19.5 %, d/c 8.6 %, peak RSS 397 MB,
start-up 436 ms. After: section 1 above (same command, same machine).

1. **Verified-token reuse** (\`src/identity/jwt-caller-resolver.ts\`). A JWT that verified is
   believed again for 30 s (\`DEFAULT_VERIFIED_TOKEN_TTL_MS\`), by its exact string, at most 1,000
   tokens (oldest dropped first). \`exp\` and \`nbf\` are checked on every use exactly as jose checks
   them, refusals are never remembered, and each token keeps its own caller (tests in
   \`test/unit/identity/verified-token-reuse.test.ts\`). The trade-off: a signing key withdrawn
   from the SSO's JWKS keeps working for tokens already seen for up to 30 s — well inside the
   window the JWKS cache itself already allows (\`jwksCacheMaxAgeSeconds\`, 600 s by default),
   and with a JWKS file the keys never change while the process runs. The benchmark sends one
   token, so it always hits: a fleet of distinct callers pays one signature check per caller per
   30 s.
2. **Redaction by index** (\`src/upstream/redact-token.ts\`): the 16-character parts of the few
   current tokens are kept in a set, so checking a text costs its own length, not its length times
   the token's.
3. **Canonical JSON once per record** (\`src/audit/chain/canonical-json.ts\`, \`seal-record.ts\`,
   \`stored-record.ts\`, \`audit-writer.ts\`): a faster serializer (string building, one key sort per
   object; output unchanged, the test vectors pass) and \`sealRecordWithBody\`, which hashes the
   record's canonical members and makes the stored body from the same members with \`hash\` put in
   its place (test: \`test/unit/audit/seal-record-with-body.test.ts\`).
4. **8 KB SQLite pages for new audit files** (\`src/audit/stores/sqlite-audit-store.ts\`). A record with
   its columns is ~1.3 KB; a WITHOUT ROWID table keeps only ~1 KB of a row inline in a 4 KB page,
   so every record also took an overflow page: twice the file, and twice the pages each COMMIT
   writes and fsyncs. With 8 KB pages the file halves and revocations/s rose ~15 % in A/B runs.
   Existing files keep their page size (SQLite cannot change it in WAL mode).
5. **Audit queries use the selective index** (\`buildQuery\` in the same file). Without
   statistics SQLite rated every equality index alike and walked the \`result\` index (half the
   table is \`revoked\`): a filtered page took 131 ms at p50 on 20,000 records. Now the most
   selective filter given (request id, actor, operation, result) keeps its index and the others
   only filter; a page costs ~1.6 ms at p50 on 1,000,000 records (section 2).
6. **Store drivers loaded only when configured** (\`src/compose.ts\`,
   \`src/audit/stores/open-audit-store.ts\`): \`ioredis\` and \`pg\` are imported when the Redis rate-limit
   store or the PostgreSQL audit store is configured. Idle RSS 138 → 127 MB (\`npm start\`),
   104 → 97 MB (compiled), start-up ~440 → ~400 ms.
7. **Trace ids from a pool of random bytes** (\`src/observability/trace-context.ts\`), each byte
   used once, like \`crypto.randomUUID\`'s own cache.

Together, from run to run: 1,655 → 2,100–2,600 revocations/s (+30–55 %), 0.669 → ~0.40 ms of
CPU per request.

8. **SQLite audit store on a worker thread** (\`src/audit/stores/sqlite-worker-store.ts\`,
   \`src/audit/stores/sqlite-audit-worker.ts\`; \`audit.sqliteWorker\`, config file only, default true).
   The connection and the unchanged \`SqliteAuditStore\` run on a \`node:worker_threads\` worker,
   so the COMMITs and their fsync no longer stall the event loop; records are still durable
   before the cloud call and before the answer, and a commit is not started later than 100 ms
   before its callers' deadline. A/B on the same machine, each pair back to back: the commit
   before (\`49d6e89\`) against the commit that made the change (\`4fb3781\`). With
   \`npm run bench -- --no-write\` (two pairs) and \`npm run bench -- --no-write --rounds 3
   --log-levels info --startup-trials 1 --skip-nginx\` (one pair), Rescind (log \`info\`):
   1,459 → 2,010, 1,553 → 1,731 and 1,561 → 1,837 req/s (+11 to +38 %); d/b 34.1 → 51.4 %,
   42.3 → 41.0 %, 27.8 → 49.1 % (the passthrough itself varied from 3,668 to 5,622 req/s between
   runs); CPU per request unchanged (0.58–0.70 ms: the work moved, it did not shrink); peak RSS
   +7 to +32 MB (a second V8 isolate). p99 added at half of the maximum rate: 89 → 200, 486 →
   175 and 387 → 95 ms — measured at each version's own half rate (730–1,005 req/s), on a day
   when the simulator's own p99 at that rate ranged 10–20 ms (4 ms in the runs above) and
   single paced rounds differed fivefold, so these tail figures are dominated by the machine;
   the throughput gain is the firmer result. A full \`npm run bench\` that day, after the change
   (1,923 req/s, d/b 34.2 % against a passthrough at its fastest, 94 ms added at p99), stayed
   below the earlier runs quoted in this section because the machine did, not because of the
   change — the version before it measured 1,459–1,561 req/s and 89–486 ms added that day. The
   crash campaign (\`npm run crash-test -- --trials 50\`) found 0 violations with the worker.
   The worker costs start-up time: a second V8 isolate that loads its own modules.

9. **Module compile cache** (\`src/main.ts\`, the process entry, now only this; the process
   itself moved to \`src/run-gateway.ts\`). Loading and compiling modules (TypeScript stripping
   included) was ~600 ms of a ~1.1 s start on the day of change 8; \`module.enableCompileCache()\`
   keeps V8's code cache in \`NODE_COMPILE_CACHE\` or \`<tmpdir>/node-compile-cache\`, and the
   worker thread inherits it. Measured on that machine, 5 starts to \`/readyz\` each, the
   same harness as section 1: medians 1,137–1,263 ms before, 729–766 ms after (the first start after a
   change of code compiles and writes the cache: ~1 s).

### What remains, and why

- **Throughput (d/b and d/c missed).** Per request Rescind still spends ~2.5–3 times the CPU of
  the bare passthrough and ~10–12 times nginx's (the runs of change 8, before and after alike).
  The SQLite commits (two durable records per
  revocation, each in 7 B-trees, 2 of them random UUID keys) now run on the worker thread
  (change 8): they no longer hold the event loop, but on 2 shared cores they still take CPU
  from it. The rest is spread thin — Express routing, Node's HTTP client and server, the access
  log, metrics — with no function above 3 %. Next steps, in order of effect: fewer audit indexes
  (the \`id\` UNIQUE and \`time\` indexes cost an insert each), a lighter router than Express.
- **Latency (p99 added at half load missed).** With one connection a revocation takes 1.8 ms
  (2 commits ≈ 0.95 ms, the cloud call 0.56 ms; \`npm run bench:scale\`). Before change 8, at half
  the maximum rate the p50 added ~5 ms and the p99 ~25 ms, the event loop stalled by synchronous
  COMMITs of large batches (up to 256 records). The commits are now off the event loop, but every
  revocation still waits for two fsyncs — durability before the cloud call and before the answer
  is the contract — so a slow fsync still shows in the tail, as do garbage collection of a heap
  that V8 lets grow to ~400 MB and the CPU the worker takes from the event loop on 2 shared cores.
  The A/B runs of change 8 were too noisy to say how much of the tail it removed.
  At saturation the p99.9 shows rare stalls near a second that the paced runs do not.
- **Peak RSS (missed with default flags).** The live heap after a full GC under this load is
  ~38 MB (heap snapshot), but V8 sizes its heap from the machine's memory (24 GiB here) and
  collects the old generation lazily, so RSS peaks anywhere from ~400 MB to ~900 MB from one
  run to the next; the bare passthrough (b) reaches ~240 MB and the simulator ~450 MB the same
  way, and the node binary itself is ~50 MB resident. The 10-minute soak shows it is not a
  leak: RSS levels off and the heap in use stays flat.
  Capping the heap trades throughput for memory — \`npm run bench -- --entry dist --log-levels info
  --rounds 1 --node-flags="…" --no-write\`: no flags 2,596 req/s / 390 MB; \`--max-semi-space-size=16
  --max-old-space-size=128\` 2,114 req/s / 191 MB; \`--max-semi-space-size=8
  --max-old-space-size=64\` 2,021 req/s / 155 MB. Inside a container with a memory limit Node
  sizes the heap from that limit instead. \`npm run bench\` uses the node flags of \`npm start\`.
- **Start-up (at the edge of 1 s on this machine).** Met at 399 ms on the November machine; on
  the December machine the same code took ~0.9–1.2 s, the worker (change 8) added ~200 ms and the
  compile cache (change 9) took ~300 ms off again: medians of 0.75–0.99 s from one run to the
  next, with single starts just over 1 s in section 1. What is left is loading the modules
  themselves (~400 ms with the cache) and starting the worker's isolate (~200 ms, of which
  TypeScript stripping is a share that the compiled image, \`node dist/main.js\`, does not pay).
  Starting the worker while the main thread still loads its modules would overlap the two.
- **A large audit store** (1,000,000 records) costs ~27 % of revocations/s: the random-keyed
  indexes (record id, request id) no longer fit in SQLite's page cache.
`;
