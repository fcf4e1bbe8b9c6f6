// Compiled `InferenceSession`s keyed by a graph's structural key: each distinct graph structure is
// compiled once, whatever numbers flow through it.
// Internal (OnnxBackendStats and OrtApi are re-exported by the package).

import type * as ort from 'onnxruntime-common';

/** The part of the onnxruntime API the backend uses (`onnxruntime-node`, or a compatible build). */
export interface OrtApi {
  readonly InferenceSession: { create(model: Uint8Array, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> };
  readonly Tensor: typeof ort.Tensor;
}

/** Counters of the backend's work, for tests and benchmarks. */
export interface OnnxBackendStats {
  /** Sessions compiled (one per distinct graph structure, unless released). */
  sessionsCreated: number;
  /** Sessions released by `dispose()`/`close()`. */
  sessionsReleased: number;
  /** Graph executions (`session.run` calls). */
  runs: number;
  /** Executions that found their session in the cache. */
  cacheHits: number;
  /** Milliseconds spent creating sessions. */
  compileMs: number;
  /** Milliseconds spent inside `session.run` (the rest of a step is tracing, feeds and JS). */
  runMs: number;
}

export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Sessions made by {@link SessionCache.create} (not cached by structure), until released. */
  private readonly created = new Set<ort.InferenceSession>();

  constructor(
    private readonly api: OrtApi,
    private readonly options: ort.InferenceSession.SessionOptions,
    readonly stats: OnnxBackendStats,
  ) {}

  /** Number of open sessions: cached ones and those made by {@link SessionCache.create}. */
  get size(): number {
    return this.sessions.size + this.created.size;
  }

  /** A session of its own for `model` (options merged over the cache's), held until {@link SessionCache.release}. */
  async create(model: Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
    const started = performance.now();
    const session = await this.api.InferenceSession.create(model, { ...this.options, ...options });
    this.stats.sessionsCreated++;
    this.stats.compileMs += performance.now() - started;
    this.created.add(session);
    return session;
  }

  /** Releases a session made by {@link SessionCache.create} (once; later calls do nothing). */
  async release(session: ort.InferenceSession): Promise<void> {
    if (!this.created.delete(session)) return;
    await session.release();
    this.stats.sessionsReleased++;
  }

  /** The session for `key`, compiling `model()` on first use. Concurrent callers share one compile. */
  get(key: string, model: () => Uint8Array): Promise<ort.InferenceSession> {
    const cached = this.sessions.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    const started = performance.now();
    const created = (async () => this.api.InferenceSession.create(model(), this.options))();
    this.sessions.set(key, created);
    this.stats.sessionsCreated++;
    created.then(
      () => {
        this.stats.compileMs += performance.now() - started;
      },
      () => {
        // A failed compile is not cached: the next call tries again (and reports its own error).
        if (this.sessions.get(key) === created) this.sessions.delete(key);
      },
    );
    return created;
  }

  /** Release every session (`session.release()`), emptying the cache. */
  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values(), ...[...this.created].map((s) => Promise.resolve(s))];
    this.sessions.clear();
    this.created.clear();
    await Promise.all(
      all.map(async (p) => {
        let session: ort.InferenceSession;
        try {
          session = await p;
        } catch {
          return; // never created: nothing to release
        }
        await session.release();
        this.stats.sessionsReleased++;
      }),
    );
  }
}
