import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { sourceFiles } from './import-graph';

/**
 * The packages a workspace package's sources load at run time, found by the compiler: each file is
 * emitted as the build emits it (CommonJS, the repository's compiler options, one file at a time as
 * `isolatedModules` allows), so `import type`, `typeof import()` and imports used only as types are
 * gone, and the `require()` and `import()` calls left are read by the compiler's pre-processor.
 */

/** The package a module specifier names (`@scope/name/sub` → `@scope/name`); none for a relative path or a Node builtin. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || path.isAbsolute(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** The repository's compiler options (tsconfig.json), for emitting a file as the build does. */
export function compilerOptions(root: string): ts.CompilerOptions {
  const file = path.join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    (config as { compilerOptions?: unknown }).compilerOptions,
    root,
  );
  if (errors.length > 0) throw new Error(ts.flattenDiagnosticMessageText(errors[0]?.messageText, '\n'));
  return { ...options, sourceMap: false, declaration: false };
}

const specifiers = (text: string): string[] =>
  ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);

/** The packages `source` (a TypeScript file) loads when it runs, sorted. */
export function runtimePackages(fileName: string, source: string, options: ts.CompilerOptions): string[] {
  // Only a file that names a package at all is worth emitting (most name only relative modules).
  if (!specifiers(source).some((s) => packageOf(s) !== undefined)) return [];
  const emitted = ts.transpileModule(source, { compilerOptions: options, fileName }).outputText;
  const names = specifiers(emitted)
    .map(packageOf)
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

/**
 * Each package a workspace package's run-time sources load, with the files that load it: its
 * `src/` without tests (`*.test.ts`) and the test helpers under `src/testing/`.
 */
export function packageImports(root: string, pkgDir: string): Map<string, string[]> {
  const options = compilerOptions(root);
  const testing = path.join(root, pkgDir, 'src', 'testing') + path.sep;
  const used = new Map<string, string[]>();
  for (const file of sourceFiles(root, [path.join(pkgDir, 'src')])) {
    if (file.startsWith(testing)) continue;
    for (const name of runtimePackages(file, readFileSync(file, 'utf8'), options)) {
      const files = used.get(name) ?? [];
      files.push(path.relative(root, file));
      used.set(name, files);
    }
  }
  return used;
}
