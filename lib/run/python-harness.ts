/**
 * The Python side of teacher tests (issue 7 §4), shared by the browser worker and the server
 * grader so both count the same way. The test files sit next to the student's files (imports of
 * the student's modules just work); every top-level `test*` function and every `test*` method of a
 * `unittest.TestCase` subclass is one case. Results are the RETURN VALUE of the call — never read
 * from stdout, which the student's code controls — and the function and the JSON encoder are bound
 * before any student code runs.
 *
 * Limit: the student's code runs in the same interpreter; code written specifically to subvert
 * the harness (reaching it through the garbage collector, say) could still forge a result.
 */
export const PYTHON_TEST_HARNESS = `
def __tandem_make_test_runner():
    import importlib, inspect, io, json, os, sys, unittest
    dumps = json.dumps
    isfunction, isclass = inspect.isfunction, inspect.isclass
    TestCase, TestResult, loader = unittest.TestCase, unittest.TestResult, unittest.TestLoader()
    StringIO = io.StringIO

    def describe(e, root):
        text = '%s: %s' % (type(e).__name__, e) if str(e) else type(e).__name__
        return text.replace(root + '/', '')[:500]

    def last_line(trace, root):
        lines = [l for l in trace.strip().splitlines() if l.strip()]
        return (lines[-1] if lines else 'failed').replace(root + '/', '')[:500]

    def run(root, test_files):
        os.chdir(root)
        if root not in sys.path:
            sys.path.insert(0, root)
        for name, mod in list(sys.modules.items()):
            if (getattr(mod, '__file__', None) or '').startswith(root + '/'):
                del sys.modules[name]
        importlib.invalidate_caches()
        cases, errors = [], []
        out, err = sys.stdout, sys.stderr
        for tf in test_files:
            sys.stdout = sys.stderr = StringIO()
            try:
                try:
                    mod = importlib.import_module(tf[:-3].replace('/', '.'))
                except BaseException as e:
                    errors.append('%s could not be loaded: %s' % (tf, describe(e, root)))
                    continue
                found = []
                for name, obj in list(vars(mod).items()):
                    if getattr(obj, '__module__', None) != mod.__name__:
                        continue
                    if isfunction(obj) and name.startswith('test'):
                        found.append((name, obj))
                    elif isclass(obj) and issubclass(obj, TestCase):
                        for m in loader.getTestCaseNames(obj):
                            found.append(('%s.%s' % (name, m), obj(m)))
                for name, t in found:
                    try:
                        if isinstance(t, TestCase):
                            result = TestResult()
                            t.run(result)
                            problems = result.failures + result.errors
                            if problems:
                                cases.append({'name': name, 'passed': False, 'message': last_line(problems[0][1], root), 'file': tf})
                            else:
                                cases.append({'name': name, 'passed': True, 'message': None, 'file': tf})
                        else:
                            t()
                            cases.append({'name': name, 'passed': True, 'message': None, 'file': tf})
                    except BaseException as e:
                        cases.append({'name': name, 'passed': False, 'message': describe(e, root), 'file': tf})
            finally:
                sys.stdout, sys.stderr = out, err
        return dumps({'cases': cases, 'error': '\\n'.join(errors) or None})

    return run

__tandem_run_tests = __tandem_make_test_runner()
del __tandem_make_test_runner
`;
