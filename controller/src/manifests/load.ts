import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KINDS, type Kind, type Secret, type TollgateObject } from '../api/v1alpha1';
import { RuleChecker } from './cel';
import {
  compileValidators,
  describeAjvError,
  loadCrds,
  storageSchema,
  type SchemaValidator,
} from './crd-schemas';

export interface ManifestError {
  file: string;
  /** 1-based index of the YAML document within the file. */
  document: number;
  /** Field path such as `spec.routes[0].weight`; empty for the whole document. */
  path: string;
  message: string;
}

/** A document of another API (an Argo CD Application, a ConfigMap, ...): left out, with a notice. */
export interface SkippedDocument {
  file: string;
  document: number;
  apiVersion: string;
  kind: string;
  name: string | undefined;
}

export interface LoadResult {
  objects: TollgateObject[];
  secrets: Secret[];
  errors: ManifestError[];
  /** The file each loaded object came from, by `{kind}/{namespace}/{name}`. */
  files?: Map<string, string>;
  skipped: SkippedDocument[];
}

/** The path `-` names standard input, as in kubectl. */
export const STDIN = '-';
const STDIN_NAME = '<stdin>';

export function formatManifestError(e: ManifestError): string {
  const where = e.document > 0 ? `${e.file} (document ${e.document})` : e.file;
  return `${where}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

export function formatSkipped(s: SkippedDocument): string {
  return `${s.file} (document ${s.document}): skipped ${s.apiVersion} ${s.kind}${s.name ? ` ${s.name}` : ''}: not a Tollgate kind`;
}

let stdin: Promise<string> | undefined;
/** Standard input is read once: a reload sees the same text. */
function readStdin(): Promise<string> {
  stdin ??= text(process.stdin);
  return stdin;
}

/** A file system error as a person would say it: `no such file or directory`, not `ENOENT: ...`. */
function describeFsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return (err as Error).message;
  }
}

interface KindChecks {
  schema: SchemaValidator;
  rules: RuleChecker;
}

let checks: Map<Kind, KindChecks> | undefined;

/** The CRDs are read and compiled once per process. */
function kindChecks(): Map<Kind, KindChecks> {
  if (!checks) {
    const crds = loadCrds();
    const validators = compileValidators(crds);
    checks = new Map();
    for (const [kind, crd] of crds) {
      checks.set(kind, {
        schema: validators.get(kind) as SchemaValidator,
        rules: new RuleChecker(storageSchema(crd)),
      });
    }
  }
  return checks;
}

/** Files and directories (every *.yaml / *.yml inside, recursively, in name order). */
export async function manifestFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      files.push(p);
      continue;
    }
    const info = await stat(p);
    if (info.isDirectory()) {
      const entries = await readdir(p, { recursive: true, withFileTypes: true });
      files.push(
        ...entries
          .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
          .map((e) => path.join(e.parentPath, e.name))
          .sort(),
      );
    } else {
      files.push(p);
    }
  }
  return files;
}

/**
 * Reads multi-document YAML and validates each document as the API server would: the CRD schema
 * (with defaults), its CEL rules and list types for Tollgate kinds; a minimal check for v1 Secrets.
 * A bad document is reported and left out; the others load.
 */
export async function loadManifests(paths: readonly string[]): Promise<LoadResult> {
  const origins = new Map<string, string>();
  const result: LoadResult = { objects: [], secrets: [], errors: [], files: origins, skipped: [] };
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const p of paths) {
    try {
      files.push(...(await manifestFiles([p])));
    } catch (err) {
      result.errors.push({ file: p, document: 0, path: '', message: describeFsError(err) });
    }
  }
  if (result.errors.length > 0) return result;
  for (const source of files) {
    const file = source === STDIN ? STDIN_NAME : source;
    let content: string;
    try {
      content = source === STDIN ? await readStdin() : await readFile(source, 'utf8');
    } catch (err) {
      result.errors.push({ file, document: 0, path: '', message: describeFsError(err) });
      continue;
    }
    const docs = parseAllDocuments(content);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const document = i + 1;
      const fail = (p: string, message: string) => result.errors.push({ file, document, path: p, message });
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          fail('', `YAML syntax error at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
        }
        return;
      }
      let value: unknown;
      try {
        value = doc.toJS();
      } catch (err) {
        return fail('', `YAML error: ${(err as Error).message}`); // e.g. an alias bomb
      }
      if (value === null || value === undefined) return;
      if (typeof value !== 'object' || Array.isArray(value))
        return fail('', 'a manifest must be a YAML mapping');
      const obj = value as Record<string, unknown>;
      const foreign = foreignKind(obj);
      if (foreign) return void result.skipped.push({ file, document, ...foreign });
      const before = result.errors.length;
      const loaded = validateDocument(obj, fail);
      if (!loaded || result.errors.length > before) return;
      const meta = loaded.metadata;
      meta.namespace ??= 'default';
      meta.generation ??= 1;
      const key = `${loaded.kind}/${meta.namespace}/${meta.name}`;
      const first = seen.get(key);
      if (first)
        return fail(
          'metadata.name',
          `duplicate ${loaded.kind} ${meta.namespace}/${meta.name} (first in ${first})`,
        );
      seen.set(key, `${file} (document ${document})`);
      origins.set(key, file);
      if (loaded.kind === 'Secret') result.secrets.push(loaded);
      else result.objects.push(loaded);
    });
  }
  return result;
}

/**
 * A document with another API group than Tollgate's (core `v1` objects other than Secrets included):
 * `-f` on a folder of a whole application's manifests loads the Tollgate part of it.
 */
function foreignKind(obj: Record<string, unknown>): Omit<SkippedDocument, 'file' | 'document'> | undefined {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') return;
  if (apiVersion.split('/')[0] === API_VERSION.split('/')[0] || (apiVersion === 'v1' && kind === 'Secret'))
    return;
  const name = (obj.metadata as { name?: unknown } | undefined)?.name;
  return { apiVersion, kind, name: typeof name === 'string' ? name : undefined };
}

function validateDocument(
  obj: Record<string, unknown>,
  fail: (path: string, message: string) => void,
): TollgateObject | Secret | undefined {
  const { apiVersion, kind } = obj;
  if (apiVersion === 'v1' && kind === 'Secret') return validateSecret(obj, fail);
  if (apiVersion === API_VERSION && KINDS.includes(kind as Kind)) {
    const c = kindChecks().get(kind as Kind) as KindChecks;
    if (!c.schema(obj)) {
      for (const e of c.schema.errors ?? []) {
        const d = describeAjvError(e);
        fail(d.path, d.message);
      }
      return undefined;
    }
    for (const v of c.rules.check(obj)) fail(v.path, v.message);
    return obj as unknown as TollgateObject;
  }
  fail(
    '',
    `unsupported kind '${String(kind)}' of apiVersion '${String(apiVersion)}' (expected ${API_VERSION} ${KINDS.join('/')} or v1 Secret)`,
  );
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Kubernetes' rule for Secret keys. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateSecret(
  obj: Record<string, unknown>,
  fail: (path: string, message: string) => void,
): Secret | undefined {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta.name !== 'string' || meta.name === '')
    fail('metadata.name', 'required field is missing');
  else if (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name))
    fail('metadata.name', 'must be a DNS subdomain (lowercase letters, digits, "-" and ".")');
  if (
    meta?.namespace !== undefined &&
    (typeof meta.namespace !== 'string' || !DNS_LABEL.test(meta.namespace))
  )
    fail('metadata.namespace', 'must be a DNS label');
  for (const field of ['data', 'stringData'] as const) {
    const values = obj[field];
    if (values === undefined) continue;
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      fail(field, 'must be a mapping of keys to strings');
      continue;
    }
    for (const [k, v] of Object.entries(values)) {
      if (!SECRET_KEY.test(k)) fail(`${field}.${k}`, 'key must consist of letters, digits, "-", "_" or "."');
      if (typeof v !== 'string') fail(`${field}.${k}`, 'must be a string');
      else if (field === 'data' && (v.length % 4 !== 0 || !BASE64.test(v)))
        fail(`${field}.${k}`, 'must be base64');
    }
  }
  return obj as unknown as Secret;
}
