/** Base types shared by v1alpha1.ts and v1alpha1-agents.ts. */

/** A duration such as "500ms", "30s", "5m", "1h30m". */
export type Duration = string;

export interface LocalRef {
  name: string;
}

export interface SecretKeyRef {
  /** Secret in the same namespace. */
  name: string;
  /** Key within the Secret's data. */
  key: string;
}
