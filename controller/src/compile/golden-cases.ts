import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Secret, TollgateObject } from '../api/v1alpha1';
import type { CompileInput } from '.';

/** The golden compile cases under testdata/: the golden test's specification, other tests' inputs. */
export const TESTDATA = path.join(__dirname, 'testdata');

export const GOLDEN_CASES = readdirSync(TESTDATA, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** A case's input.yaml as the API server would hand it over: namespace and generation set. */
export function readGoldenInput(dir: string): CompileInput {
  const docs = parseAllDocuments(readFileSync(path.join(dir, 'input.yaml'), 'utf8'))
    .map((d) => d.toJS() as (TollgateObject | Secret) | null)
    .filter((d): d is TollgateObject | Secret => d !== null);
  for (const d of docs) {
    d.metadata.namespace ??= 'default';
    d.metadata.generation ??= 1;
  }
  return {
    objects: docs.filter((d): d is TollgateObject => d.kind !== 'Secret'),
    secrets: docs.filter((d): d is Secret => d.kind === 'Secret'),
  };
}
