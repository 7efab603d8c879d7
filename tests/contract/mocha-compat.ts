/**
 * ShareDB's conformance suites (sharedb/test/*.js) are written for mocha. Jest already shares
 * one `this` between beforeEach, the test and afterEach, and honours `done` callbacks, so they
 * run unchanged except for two mocha-only spellings, which this shim adds:
 *
 *  - `before(fn)` / `after(fn)`: jest's beforeAll/afterAll get a throwaway `this`, but mocha
 *    suites store values on it for their tests (`this.matchAllDbQuery`). The shim runs the hook
 *    on a context object and copies that context into every test's `this`.
 *  - `beforeEach('title', fn)`: mocha allows a hook title; jest does not.
 *
 * Call `installMochaCompat()` at the top of a test file, before registering a mocha suite.
 */

type MochaHook = (this: Record<string, unknown>, done?: (err?: unknown) => void) => unknown;
type JestHookRegistrar = (fn: jest.ProvidesHookCallback, timeout?: number) => void;

export function installMochaCompat(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g['__tandemMochaCompat'] === true) return;
  g['__tandemMochaCompat'] = true;

  const jestBeforeEach = beforeEach as JestHookRegistrar;
  const jestAfterEach = afterEach as JestHookRegistrar;

  g['before'] = onceHook(beforeAll as JestHookRegistrar, jestBeforeEach);
  g['after'] = onceHook(afterAll as JestHookRegistrar, jestBeforeEach);
  g['beforeEach'] = titledHook(jestBeforeEach);
  g['afterEach'] = titledHook(jestAfterEach);
}

function onceHook(register: JestHookRegistrar, jestBeforeEach: JestHookRegistrar) {
  return (titleOrFn: string | MochaHook, maybeFn?: MochaHook): void => {
    const fn = hookFunction(titleOrFn, maybeFn);
    const context: Record<string, unknown> = {};
    register(withContext(fn, () => context));
    jestBeforeEach(function (this: Record<string, unknown>) {
      Object.assign(this, context);
    });
  };
}

function titledHook(register: JestHookRegistrar) {
  return (titleOrFn: string | MochaHook, maybeFn?: MochaHook): void => {
    const fn = hookFunction(titleOrFn, maybeFn);
    register(
      withContext(fn, function (this: Record<string, unknown>) {
        return this;
      }),
    );
  };
}

/** Jest decides "done-style or not" by the hook's arity, so keep the original's. */
function withContext(
  fn: MochaHook,
  contextOf: (this: Record<string, unknown>) => Record<string, unknown>,
): jest.ProvidesHookCallback {
  if (fn.length > 0) {
    return function (this: Record<string, unknown>, done: jest.DoneCallback) {
      fn.call(contextOf.call(this), done);
    } as jest.ProvidesHookCallback;
  }
  return function (this: Record<string, unknown>) {
    return fn.call(contextOf.call(this));
  } as jest.ProvidesHookCallback;
}

function hookFunction(titleOrFn: string | MochaHook, maybeFn?: MochaHook): MochaHook {
  const fn = typeof titleOrFn === 'function' ? titleOrFn : maybeFn;
  if (typeof fn !== 'function') throw new TypeError('mocha hook without a function');
  return fn;
}
