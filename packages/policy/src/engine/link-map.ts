/**
 * The links install scripts made, so a write through one is judged where it lands: a script that
 * plants `build/out -> ../../other-pkg` in its own folder and then writes `build/out/index.js`
 * writes into another package, though the path it named lies in its own folder.
 *
 * Symbolic links redirect every path below them; a hard link is the same file under a second
 * name, so only writing into it (not removing or renaming the name) reaches the original.
 */
/** Link chains longer than this are not followed (the kernel's own limit is 40; 8 is plenty here). */
const MAX_HOPS = 8;

export class LinkMap {
  readonly #symlinks = new Map<string, string>();
  readonly #hardlinks = new Map<string, string>();

  /** `link` now points at `pointsTo` (an absolute, normalised path). */
  symlinked(pointsTo: string, link: string): void {
    this.#hardlinks.delete(link);
    this.#symlinks.set(link, pointsTo);
  }

  /** `name` is now a second name of the file `original`. */
  hardlinked(original: string, name: string): void {
    this.#symlinks.delete(name);
    this.#hardlinks.set(name, this.#hardlinks.get(original) ?? original);
  }

  /** The name is gone (unlinked, or renamed away): writes to it no longer reach the old target. */
  removed(path: string): void {
    this.#symlinks.delete(path);
    this.#hardlinks.delete(path);
  }

  /**
   * Where a write to `path` lands, or null when no script-made link is on its way. `contents`
   * says whether the write changes the file's contents (open to write), which is what a hard link
   * passes on; removing or renaming a name never does.
   */
  resolve(path: string, contents: boolean): { path: string; via: string } | null {
    let current = path;
    let via: string | null = null;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const next = this.#step(current, contents);
      if (next === null) break;
      via ??= next.via;
      current = next.path;
    }
    return via === null ? null : { path: current, via };
  }

  #step(path: string, contents: boolean): { path: string; via: string } | null {
    const hard = contents ? this.#hardlinks.get(path) : undefined;
    if (hard !== undefined) return { path: hard, via: path };
    if (this.#symlinks.size === 0) return null;
    // The deepest link on the way: the path itself when it is opened to write (a link is replaced,
    // not followed, by an unlink or a rename), else its nearest linked ancestor. Walking up the
    // path keeps this linear in its depth, however many links a script made.
    if (contents) {
      const own = this.#symlinks.get(path);
      if (own !== undefined) return { path: own, via: path };
    }
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const ancestor = path.slice(0, cut);
      const target = this.#symlinks.get(ancestor);
      if (target !== undefined) return { path: `${target}${path.slice(cut)}`, via: ancestor };
    }
    return null;
  }
}
