/**
 * The Python side of teacher tests (issue 7 §4), shared by the browser worker and the server
 * grader so both count the same way. The test files sit next to the student's files (imports of
 * the student's modules just work); every top-level `test*` function and every `test*` method of a
 * `unittest.TestCase` subclass is one case. Results are the RETURN VALUE of
 * `__tandem_run_tests(root, test_files)` — never read from stdout, which the student's code
 * controls.
 *
 * The student's code runs in the same interpreter as this harness, so while the tests run the
 * harness defends what decides a count:
 * - an audit hook (it cannot be removed) refuses frame access (`sys._getframe`, `tb_frame`,
 *   `gi_frame` …), tracing, garbage-collector walks, `__code__` swaps and `ctypes`, which are the
 *   ways to reach the harness's own variables;
 * - test files are read, then deleted from the file system, and run as modules that are not in
 *   `sys.modules`, so a submission can neither read hidden tests nor change a test module;
 * - `unittest`'s classes are made immutable and their functions re-bound to private copies of
 *   their module globals and of `builtins`, so patching `TestCase.assertEqual`,
 *   `unittest.case._AssertRaisesContext` or `builtins.round` changes nothing;
 * - the report is built from strings escaped by the C JSON encoder, not by `json.dumps`.
 *
 * WARNING (what stays possible, as in any test framework): a returned object whose `__eq__` lies,
 * monkeypatching a standard module the test itself relies on (`math.isclose`), and, while tests
 * run, `inspect`/`logging`/`traceback.print_exc` in student code raise PermissionError (they read
 * frames).
 */
export const PYTHON_TEST_HARNESS = `
def __tandem_make_test_runner():
    import builtins, contextlib, os, sys, types, unittest, unittest.case, unittest.util
    from _json import encode_basestring_ascii as quote
    import ctypes

    # Everything used after student code starts is held here, in closure cells.
    BaseExc, Exc, PermErr, RuntimeErr = BaseException, Exception, PermissionError, RuntimeError
    isinstance_, issubclass_, getattr_, type_, str_, len_, id_ = isinstance, issubclass, getattr, type, str, len, id
    vars_, dir_, sorted_, callable_, compile_, exec_, open_, list_, dict_ = vars, dir, sorted, callable, compile, exec, open, list, dict
    any_, all_ = any, all
    remove, chdir, path_list, modules = os.remove, os.chdir, sys.path, sys.modules
    FunctionType, ModuleType, MethodType = types.FunctionType, types.ModuleType, types.MethodType
    TestCase, SkipTest = unittest.TestCase, unittest.SkipTest
    setattr_ = setattr
    def set_stdio(out, err):
        setattr_(sys, 'stdout', out)
        setattr_(sys, 'stderr', err)
    def get_stdio():
        return sys.stdout, sys.stderr

    state = [False]  # armed: the tests of one call are running
    trusted = [False]  # the harness itself is inside lock(); no student code runs there

    DENIED_ATTRS = frozenset(['tb_frame', 'gi_frame', 'cr_frame', 'ag_frame', 'f_back', 'f_locals', 'f_globals'])
    DENIED_EVENTS = frozenset(['sys._getframe', 'sys._current_frames', 'sys._current_exceptions', 'sys.settrace',
                               'sys.setprofile', 'sys.addaudithook', 'gc.get_objects', 'gc.get_referrers',
                               'gc.get_referents'])

    def hook(event, args):
        if not state[0] or trusted[0]:
            return
        if event in DENIED_EVENTS or event.startswith('ctypes.') or (event == 'import' and args[0] in ('ctypes', '_ctypes')):
            raise PermErr(event + ' is not available while tests run')
        if event == 'object.__getattr__' and args[1] in DENIED_ATTRS:
            raise PermErr(args[1] + ' is not available while tests run')
        if event == 'object.__setattr__' and args[1] == '__code__':
            raise PermErr('__code__ cannot be changed while tests run')
    sys.addaudithook(hook)

    # CPython refuses attribute writes on a type with Py_TPFLAGS_IMMUTABLETYPE (even through
    # type.__setattr__); Python code cannot set it, ctypes can. The offset of tp_flags is found on a
    # throwaway class and proven by locking it before anything real is touched.
    word = ctypes.c_ulong
    def find_flags_offset():
        class Probe:
            pass
        for off in range(0, 64 * ctypes.sizeof(word), ctypes.sizeof(word)):
            if word.from_address(id_(Probe) + off).value == Probe.__flags__:
                word.from_address(id_(Probe) + off).value = Probe.__flags__ | (1 << 8)
                try:
                    Probe.x = 1
                except TypeError:
                    return off
                word.from_address(id_(Probe) + off).value = Probe.__flags__ & ~(1 << 8)
        return None
    flags_offset = find_flags_offset()

    def lock(cls):
        if flags_offset is None:
            raise RuntimeErr('cannot make classes immutable in this Python')
        trusted[0] = True
        try:
            cell = word.from_address(id_(cls) + flags_offset)
            if cell.value != cls.__flags__:
                raise RuntimeErr('unexpected type layout')
            cell.value = cls.__flags__ | (1 << 8)
        finally:
            trusted[0] = False

    def isolate(module_names):
        """Re-binds the functions of these modules (and their classes' methods) to private copies of
        the module globals and builtins, then makes the classes immutable."""
        private_builtins = dict_(vars_(builtins))
        # Keyed by the real globals: a decorator (contextmanager, wraps) copies __module__ onto
        # its own wrapper, whose code must keep its own module's globals.
        privates, clones = {}, {}
        for name in module_names:
            real = vars_(modules[name])
            g = dict_(real)
            g['__builtins__'] = private_builtins
            privates[id_(real)] = g
        def rebind(fn):
            g = privates.get(id_(fn.__globals__)) if isinstance_(fn, FunctionType) else None
            if g is None:
                return fn
            if id_(fn) not in clones:
                c = FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
                c.__kwdefaults__, c.__qualname__, c.__dict__ = fn.__kwdefaults__, fn.__qualname__, dict_(fn.__dict__)
                clones[id_(fn)] = c
            return clones[id_(fn)]
        classes = []
        for name in module_names:
            g = privates[id_(vars_(modules[name]))]
            for key, value in list_(g.items()):
                if isinstance_(value, FunctionType):
                    g[key] = rebind(value)
                elif isinstance_(value, type_) and value.__module__ == name:
                    classes.append(value)
        contextmanager = privates[id_(vars_(modules['contextlib']))]['contextmanager']
        def rewrap(fn):
            # @contextmanager's wrapper closes over the original generator function: wrap its clone.
            inner = getattr_(fn, '__wrapped__', None)
            if isinstance_(fn, FunctionType) and fn.__qualname__ == 'contextmanager.<locals>.helper' and isinstance_(inner, FunctionType):
                return contextmanager(rebind(inner))
            return rebind(fn)
        for cls in classes:
            for key, value in list_(vars_(cls).items()):
                if isinstance_(value, FunctionType):
                    type.__setattr__(cls, key, rewrap(value))
                elif isinstance_(value, (staticmethod, classmethod)) and isinstance_(value.__func__, FunctionType):
                    type.__setattr__(cls, key, type_(value)(rebind(value.__func__)))
            lock(cls)
        return list_(privates.values()) + [private_builtins]

    class Sink:
        def write(self, s):
            return len_(s)
        def flush(self):
            pass

    class Result:
        """What TestCase.run reports to; only the first problem of a test counts."""
        failfast = shouldStop = False
        def __init__(self):
            self.problem = None
        def _fail(self, err):
            if self.problem is None:
                self.problem = describe(err[1]) if err is not None and err[1] is not None else 'failed'
        def startTest(self, test): pass
        def stopTest(self, test): pass
        def addSuccess(self, test): pass
        def addDuration(self, test, elapsed): pass
        def addExpectedFailure(self, test, err): pass
        def addFailure(self, test, err): self._fail(err)
        def addError(self, test, err): self._fail(err)
        def addSkip(self, test, reason): self._fail((None, SkipTest(reason), None))
        def addUnexpectedSuccess(self, test): self._fail((None, Exc('unexpected success'), None))
        def addSubTest(self, test, subtest, err):
            if err is not None: self._fail(err)

    ready = [False]
    # The cloned functions' globals stay reachable (fn.__globals__ is not audited), so they are
    # compared with a snapshot after every test: a test during which they changed fails.
    snapshots = []
    def prepare():
        # assertRaises clears frames of the caught traceback; with tb_frame refused that would fail.
        unittest.case.traceback = types.SimpleNamespace(clear_frames=lambda tb: None)
        for g in isolate(['contextlib', 'unittest.case', 'unittest.util']):
            snapshots.append((g, dict_(g)))
        for cls in (Sink, Result):
            lock(cls)
        ready[0] = True

    def tampered():
        changed = False
        for g, snap in snapshots:
            if len_(g) != len_(snap) or any_(g.get(k, g) is not v for k, v in snap.items()):
                changed = True
                dict_.clear(g)
                dict_.update(g, snap)
        return changed

    def describe(e):
        try:
            text = str_(e)
        except BaseExc:
            text = ''
        try:
            kind = str_(type_(e).__name__)
        except BaseExc:
            kind = 'Error'
        return (kind + ': ' + text if text else kind)[:500]

    def skipped(obj):
        return getattr_(obj, '__unittest_skip__', False) is True

    def teacher_written(fn, teacher_globals):
        # __module__ is writable; __globals__ is not, and only a test file's code has these globals
        # (a student's test_x function that a test file star-imports does not). Decorators that
        # use functools.wraps are followed to the teacher's function.
        for _ in range(10):
            if type_(fn) is FunctionType and any_(fn.__globals__ is g for g in teacher_globals):
                return True
            fn = getattr_(fn, '__wrapped__', None)
            if fn is None:
                return False
        return False

    def collect(mod, teacher_globals):
        found = []
        for name, obj in list_(vars_(mod).items()):
            if name.startswith('test') and teacher_written(obj, teacher_globals):
                found.append((name, obj, None))
            elif isinstance_(obj, type_) and issubclass_(obj, TestCase) and not skipped(obj):
                methods = [m for m in sorted_(dir_(obj)) if m.startswith('test') and callable_(getattr_(obj, m))]
                methods = [m for m in methods if not skipped(getattr_(obj, m)) and teacher_written(getattr_(obj, m), teacher_globals)]
                if methods:
                    lock(obj)
                for m in methods:
                    found.append((name + '.' + m, obj, m))
        return found

    def run_one(obj, method):
        problem = None
        try:
            if method is None:
                obj()
            else:
                result = Result()
                TestCase.run(obj(method), result)
                problem = result.problem
        except BaseExc as e:
            problem = describe(e)
        if tampered():
            problem = 'The submission changed the test framework while this test ran.'
        return problem

    def run(root, test_files):
        if state[0]:
            raise PermErr('the tests are already running')
        if not ready[0]:
            prepare()
        chdir(root)
        if root not in path_list:
            path_list.insert(0, root)
        for name, mod in list_(modules.items()):
            if (getattr_(mod, '__file__', None) or '').startswith(root + '/'):
                del modules[name]
        sources, cases, errors = [], [], []
        for tf in test_files:
            try:
                with open_(root + '/' + tf, encoding='utf-8') as f:
                    sources.append((tf, f.read()))
                remove(root + '/' + tf)
            except BaseExc as e:
                errors.append(tf + ' could not be read: ' + describe(e))
        out, err = get_stdio()
        teacher_globals = []
        state[0] = True
        try:
            for tf, source in sources:
                set_stdio(Sink(), Sink())
                name = tf[:-3].replace('/', '.')
                mod = ModuleType(name)
                mod.__file__ = root + '/' + tf
                teacher_globals.append(mod.__dict__)
                try:
                    exec_(compile_(source, tf, 'exec'), mod.__dict__)
                    found = collect(mod, teacher_globals)
                except BaseExc as e:
                    errors.append(tf + ' could not be loaded: ' + describe(e))
                    continue
                if tampered():
                    errors.append(tf + ': the submission changed the test framework while loading.')
                    continue
                for case_name, obj, method in found:
                    cases.append((case_name, run_one(obj, method), tf))
        finally:
            state[0] = False
            set_stdio(out, err)
        parts = []
        for case_name, problem, tf in cases:
            parts.append('{"name":' + quote(case_name) + ',"passed":' + ('true' if problem is None else 'false') +
                         ',"message":' + ('null' if problem is None else quote(problem)) + ',"file":' + quote(tf) + '}')
        error = '\\n'.join(errors)
        return '{"cases":[' + ','.join(parts) + '],"error":' + (quote(error) if error else 'null') + '}'

    return run

__tandem_run_tests = __tandem_make_test_runner()
del __tandem_make_test_runner
`;
