// The environment the container image gives the agent (Dockerfile `ENV`; test/build/dockerfile.test.ts keeps them
// equal), so that bench:fleet measures the agent as it runs in production.
export const IMAGE_ENV = {
  NODE_ENV: 'production',
  // glibc makes up to 8 malloc arenas per core, one per thread that allocates (libuv's pool, V8's workers); freed
  // memory in one arena is not reused by another. Two arenas: ~35 MiB less RSS at 1,000 clusters, CPU unchanged
  // (bench:fleet, 2026-12-07).
  MALLOC_ARENA_MAX: '2',
} as const;
