import { builtGrader, type GraderLike } from '../helpers/built-grader';

/**
 * Python submissions share the interpreter with the test harness (lib/run/python-harness.ts).
 * Each case here forged a count or leaked a hidden test before the harness was hardened; the
 * grader must report every test of this file as failed, and never show hidden test source.
 */
jest.setTimeout(180_000);

let grader: GraderLike;
beforeAll(() => {
  grader = builtGrader({ timeLimitMs: 8000, memoryMb: 512 });
});
afterAll(async () => {
  await grader?.close();
});

const TEACHER = [
  'from main import *',
  'import unittest',
  'def test_a():',
  '    assert f() == 1',
  'class T(unittest.TestCase):',
  '    def test_c(self):',
  '        self.assertEqual(f(), 3)',
  '    def test_d(self):',
  '        self.assertAlmostEqual(f(), 4.0)',
  '    def test_e(self):',
  '        with self.assertRaises(ValueError):',
  '            f()',
  '',
].join('\n');
const HIDDEN = 'SECRET_EXPECTED = 42\ndef test_hidden():\n    from main import f\n    assert f() == SECRET_EXPECTED\n';
const F = 'def f():\n    return 0\n';

const attacks: Array<[string, string]> = [
  ['replaces json encoding of the report', "import json\njson._default_encoder.encode = lambda o: '{\"cases\": [], \"error\": null}'\n" + F],
  ['walks frames to the result list', "import sys\ndef f():\n    fr = sys._getframe(1)\n    while fr is not None and 'cases' not in fr.f_locals:\n        fr = fr.f_back\n    if fr is not None:\n        fr.f_locals['cases'].extend([{'name': 'test_x', 'passed': True, 'message': None, 'file': 'test_main.py'}] * 50)\n    return 0\n"],
  ['walks a traceback to the result list', "def f():\n    try:\n        raise ValueError\n    except ValueError as e:\n        fr = e.__traceback__.tb_frame\n    while fr is not None and 'cases' not in fr.f_locals:\n        fr = fr.f_back\n    if fr is not None:\n        fr.f_locals['cases'].extend([{'name': 'test_x', 'passed': True, 'message': None, 'file': 'test_main.py'}] * 50)\n    return 0\n"],
  ['patches TestCase methods', 'import unittest\nunittest.TestCase.assertEqual = unittest.TestCase.assertAlmostEqual = lambda *a, **k: None\n' + F],
  ['patches unittest module globals and builtins', "import builtins, unittest.case\nclass C:\n    def __init__(self, *a, **k): pass\n    def handle(self, n, a, k): return self\n    def __enter__(self): return self\n    def __exit__(self, *a): return True\nunittest.case._AssertRaisesContext = C\nbuiltins.round = lambda *a, **k: 0\n" + F],
  ['patches assertion globals through __globals__', "def f():\n    import unittest\n    unittest.TestCase.assertAlmostEqual.__globals__['__builtins__']['round'] = lambda *a, **k: 0\n    return 0\n"],
  ['flips the immutable-type flag with ctypes', "import ctypes, unittest\nT = unittest.TestCase\ntry:\n    for off in range(0, 200, 4):\n        c = ctypes.c_ulong.from_address(id(T) + off)\n        if c.value == T.__flags__:\n            c.value = T.__flags__ & ~(1 << 8)\n            break\n    T.assertEqual = lambda *a, **k: None\nexcept Exception:\n    pass\n" + F],
  ['offers its own test function to a star import', "def test_fake():\n    pass\ntest_fake.__module__ = 'test_main'\n" + F],
  ['skips the tests it fails', 'import unittest\ndef f():\n    raise unittest.SkipTest("no")\n'],
  ['reads the hidden test file', "def f():\n    raise ValueError(open('test_hidden.py').read())\n"],
];

test.each(attacks)('[RUN-3] a Python submission that %s changes no count', async (_name, student) => {
  const r = await grader.grade({
    files: [{ name: 'main.py', text: student }],
    tests: [
      { language: 'python', fileName: 'test_main.py', code: TEACHER, hidden: false },
      { language: 'python', fileName: 'test_hidden.py', code: HIDDEN, hidden: true },
    ],
  });
  // Either all five tests ran and failed, or the run stopped with an error (fails closed).
  expect(r.passed).toBe(0);
  expect(r.failed === 5 || r.error !== null).toBe(true);
  expect(JSON.stringify(r)).not.toMatch(/SECRET_EXPECTED/);
});
