import { readFileSync } from 'node:fs';
import type { Secret } from '@tollgate/controller';

/**
 * Standalone mode only: a Secret's `stringData` value may name where the value really lives,
 * `${env:OPENAI_API_KEY}` (an environment variable) or `${file:/run/secrets/openai}` (a file's
 * content, without its trailing newline), so keys stay out of the manifests. Expanded when the
 * manifests are loaded (at start and on every reload). Errors name the variable or file, never a
 * value; the values themselves are never logged (compile and /config_dump redact them).
 */
export interface SecretSources {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export const PROCESS_SOURCES: SecretSources = {
  env: process.env,
  readFile: (p) => readFileSync(p, 'utf8'),
};

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;

export function expandSecretRefs(
  secrets: readonly Secret[],
  sources: SecretSources = PROCESS_SOURCES,
): { secrets: Secret[]; errors: string[] } {
  const errors: string[] = [];
  const expanded = secrets.map((secret) => {
    const stringData = secret.stringData;
    if (!stringData || !Object.values(stringData).some((v) => v.includes('${'))) return secret;
    const where = (key: string) =>
      `Secret ${secret.metadata.namespace ?? 'default'}/${secret.metadata.name} stringData.${key}`;
    const values = Object.fromEntries(
      Object.entries(stringData).map(([key, value]) => [
        key,
        value.replace(REFERENCE, (_match, source: 'env' | 'file', name: string) => {
          const resolved = resolve(source, name.trim(), sources);
          if (typeof resolved === 'string') return resolved;
          errors.push(`${where(key)}: ${resolved.error}`);
          return '';
        }),
      ]),
    );
    return { ...secret, stringData: values };
  });
  return { secrets: expanded, errors };
}

function resolve(source: 'env' | 'file', name: string, sources: SecretSources): string | { error: string } {
  if (name === '') return { error: `\${${source}:} names no ${source === 'env' ? 'variable' : 'file'}` };
  if (source === 'env') {
    const value = sources.env[name];
    if (value === undefined) return { error: `environment variable ${name} is not set` };
    if (value === '') return { error: `environment variable ${name} is empty` };
    return value;
  }
  let content: string;
  try {
    content = sources.readFile(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    return { error: `file ${name} cannot be read (${reason})` };
  }
  const value = content.replace(/\r?\n$/, '');
  return value === '' ? { error: `file ${name} is empty` } : value;
}
