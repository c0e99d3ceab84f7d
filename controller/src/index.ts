/**
 * @tollgate/controller: the API types and the compile — manifests in, compiled resources out (what
 * `tollgate run`, `validate` and `compile` use). The controller process (Kubernetes client, discovery
 * server, leader election) is the separate entry `@tollgate/controller/server`: importing this one
 * never loads gRPC or the Kubernetes client.
 */
export * from './api/v1alpha1';
export {
  Compiler,
  compile,
  type CompileInput,
  type CompileOptions,
  type CompileResult,
  type CompileStats,
  type MemoStats,
  type ObjectStatus,
} from './compile';
export {
  formatManifestError,
  formatSkipped,
  loadManifests,
  manifestFiles,
  STDIN,
  type LoadResult,
  type ManifestError,
  type SkippedDocument,
} from './manifests/load';
