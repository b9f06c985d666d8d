export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  burst: number;
  /** Buckets kept at most; beyond that the least recently used goes (and its key starts full again). */
  maxBuckets?: number;
  /** Milliseconds on a monotonic clock; tests pass a fake one. */
  now?: () => number;
}

/** A token bucket per key. */
export function tokenBuckets({
  ratePerSecond,
  burst,
  maxBuckets = 10_000,
  now = () => performance.now(),
}: TokenBucketOptions) {
  // A bucket untouched this long is full again, the same as no bucket at all: it can be dropped.
  const refillMs = (burst / ratePerSecond) * 1000;
  const buckets = new Map<string, { tokens: number; at: number }>(); // least recently used first
  return {
    /** Takes a token for `key`: 0 when granted, otherwise the whole seconds until one is there. */
    take(key: string): number {
      const at = now();
      for (const [idle, bucket] of buckets) {
        if (at - bucket.at < refillMs && (buckets.size < maxBuckets || buckets.has(key))) break;
        buckets.delete(idle);
      }
      const bucket = buckets.get(key);
      const elapsed = bucket ? Math.max(0, at - bucket.at) : refillMs;
      const tokens = Math.min(burst, (bucket?.tokens ?? 0) + (elapsed * ratePerSecond) / 1000);
      const granted = tokens >= 1;
      buckets.delete(key);
      buckets.set(key, { tokens: granted ? tokens - 1 : tokens, at });
      return granted ? 0 : Math.ceil((1 - tokens) / ratePerSecond);
    },
    get size() {
      return buckets.size;
    },
  };
}
