/**
 * Whether the user gave V8 flag `name` (or its `--no-` form) themselves, on node's command line or
 * in NODE_OPTIONS: what the CLI sets at run time then stays the user's. V8 takes `-` and `_` alike.
 */
export function userSetV8Flag(
  name: string,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): boolean {
  const wanted = name.replace(/_/g, '-');
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return given.some((arg) => {
    const flag = arg.replace(/^--/, '').split('=')[0]?.replace(/_/g, '-');
    return arg.startsWith('--') && (flag === wanted || flag === `no-${wanted}`);
  });
}
