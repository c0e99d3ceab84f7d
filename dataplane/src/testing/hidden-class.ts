import { setFlagsFromString } from 'node:v8';

// V8's %HaveSameMap, compiled while natives syntax is allowed (the flag is read when parsing).
setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

/** Whether V8 gave two objects the same hidden class (map): what optimised code checks before using it. */
export function sameHiddenClass(a: object, b: object): boolean {
  return haveSameMap(a, b);
}
