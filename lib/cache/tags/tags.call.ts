/** Versions by tag: a Map (a batch's), or the {@link ListedVersions} of one call. */
export interface TagVersions {
  /** The version of `tag`; undefined when it was not read. */
  get(tag: string): number | undefined;
  /** Whether the version of `tag` was read. */
  has(tag: string): boolean;
}

/**
 * The versions one call read, by position: `values[offset + i]` is the version of `tags[i]`.
 * A call has a few tags (at most 64), so a scan beats building a Map on every call.
 */
export class ListedVersions implements TagVersions {
  constructor(
    /** The tags, without duplicates. */
    readonly tags: readonly string[],
    /** Their versions, from `offset` on. */
    readonly values: readonly number[],
    /** Where the versions of `tags` start in `values`. */
    readonly offset: number,
  ) {}

  /** The version of `tag`. */
  get(tag: string): number | undefined {
    const i = this.tags.indexOf(tag);
    return i < 0 ? undefined : this.values[this.offset + i];
  }

  /** The version of `tags[i]`. */
  at(i: number): number | undefined {
    return this.values[this.offset + i];
  }

  /** Whether `tag` is one of the call's. */
  has(tag: string): boolean {
    return this.tags.includes(tag);
  }
}

/** Tag versions as read from the store before a load. */
export interface TagSnapshot {
  /** By tag, its version: 0 when it was never invalidated, NaN when the stored value is not one. */
  readonly versions: TagVersions;
  /** The namespace's epoch (read only when the call has result tags). */
  readonly epoch: number | undefined;
}

/**
 * The tags of one call: those known before it runs (from the arguments, or given), and how to pick
 * more from its result. The read that looks for the entry also reads the known tags' versions
 * (and, with result tags, the epoch): the entry the load writes records the versions seen then.
 */
export class CallTags {
  /** What was read before the load; undefined until read, or when that read failed. */
  before: TagSnapshot | undefined;
  /** Whether the read of `before` was made (it may have failed). */
  read = false;

  constructor(
    /** Tags known before the call runs, checked, without duplicates. */
    readonly fixed: readonly string[],
    /** The tags of a result, checked; undefined without result tags. */
    readonly fromResult: ((value: unknown) => readonly string[]) | undefined,
  ) {}

  /** Whether invalidating `tags` may concern the entry of this call. */
  concerns(tags: ReadonlySet<string>): boolean {
    return this.fromResult !== undefined || this.fixed.some((tag) => tags.has(tag));
  }
}
