let version = 0;

/** A fresh opaque version per write, shaped like a Table Storage ETag so nobody parses either. */
export function nextEtag(): string {
  version += 1;
  return `W/"memory-${Date.now().toString(36)}-${version}"`;
}

/** Runs synchronous store work as a promise: a throw becomes a rejection, as with a real store. */
export function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
