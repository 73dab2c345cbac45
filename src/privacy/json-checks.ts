/**
 * Checks of the sanitizer's input that only run where needed: what kind of non-JSON value was
 * found (for the error), and whether a value that went too deep is in fact a cycle.
 *
 * @module
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]{0,39}$/;

/** Whether an object is plain data: its prototype chain has at most one link (realm-independent). */
export function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The kind of a non-JSON value, for an error message: `'function'`, `'bigint'`, `'symbol'`, or
 * an object's class (`'Date'`, `'Map'`, a class name). Never the value.
 */
export function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag !== 'Object') return tag;
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } })
    ?.constructor?.name;
  return typeof name === 'string' && IDENTIFIER.test(name) ? name : 'class instance';
}

/**
 * Whether `root` reaches itself through its own enumerable keys: an iterative depth-first
 * search (no recursion, so any depth), linear in the objects reached.
 */
export function hasCycle(root: unknown): boolean {
  if (typeof root !== 'object' || root === null) return false;
  const open = new Set<object>(); // on the current path
  const done = new Set<object>(); // fully explored, no cycle below
  const stack: [object, unknown[]][] = [[root, Object.values(root)]];
  open.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as [object, unknown[]];
    const child = top[1].pop();
    if (child === undefined && top[1].length === 0) {
      stack.pop();
      open.delete(top[0]);
      done.add(top[0]);
      continue;
    }
    if (typeof child !== 'object' || child === null || done.has(child)) continue;
    if (open.has(child)) return true;
    open.add(child);
    stack.push([child, Object.values(child)]);
  }
  return false;
}
