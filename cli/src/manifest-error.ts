/**
 * The manifests of `-f` have schema errors. In a file of its own so that the CLI's error report
 * can recognise it without loading the compile (standalone.ts) for the commands that don't need it.
 */
export class ManifestLoadError extends Error {
  /** `notes`: documents of other APIs that were skipped, worth telling beside the errors. */
  constructor(
    readonly problems: string[],
    readonly notes: string[] = [],
  ) {
    super(`the manifests have ${problems.length} error(s):\n  ${problems.join('\n  ')}`);
    this.name = 'ManifestLoadError';
  }
}
