import type { AnyResource } from '@tollgate/protocol';

/** What a config change did, by resource key (`{kind}/{namespace}/{name}`); versions tell changes. */
export interface ConfigDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

export function diffResources(
  before: ReadonlyMap<string, AnyResource>,
  after: ReadonlyMap<string, AnyResource>,
): ConfigDiff {
  const diff: ConfigDiff = { added: [], changed: [], removed: [] };
  for (const [key, r] of after) {
    const old = before.get(key);
    if (!old) diff.added.push(key);
    else if (old.version !== r.version) diff.changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) diff.removed.push(key);
  return diff;
}
