/**
 * Which files an install script wrote itself, as opposed to files the package manager unpacked
 * from the registry. Links and renames carry the mark along: esbuild hard-links its platform
 * package's binary over its own `bin/` — a file the package manager installed — so the result is
 * not marked, while a downloaded file renamed into place stays marked. What a compiler or linker
 * writes is built from the package's own sources and is not marked either (node-gyp).
 */

/** Who wrote a file. */
export interface Taint {
  eventId: string;
  ts: number;
  /** `name@version` of the writer. */
  packageKey: string;
  writer: string;
}

/** Bounds memory on a trace that writes millions of files. */
const MAX_ENTRIES = 200_000;

export class TaintTracker {
  readonly #files = new Map<string, Taint>();

  written(path: string, taint: Taint | null): void {
    if (taint === null) {
      this.#files.delete(path);
      return;
    }
    if (this.#files.size >= MAX_ENTRIES) {
      const oldest = this.#files.keys().next().value;
      if (oldest !== undefined) this.#files.delete(oldest);
    }
    this.#files.set(path, taint);
  }

  /** A rename moves the mark (or its absence). */
  renamed(from: string, to: string): void {
    const t = this.#files.get(from);
    this.#files.delete(from);
    this.written(to, t ?? null);
  }

  /** A hard or symbolic link: `to` has `from`'s content. */
  linked(from: string, to: string): void {
    this.written(to, this.#files.get(from) ?? null);
  }

  removed(path: string): void {
    this.#files.delete(path);
  }

  get(path: string): Taint | undefined {
    return this.#files.get(path);
  }
}
