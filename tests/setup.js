// sharedb logs expected errors (rejected ops in bad-input tests) to the console; keep test output readable.
require('sharedb/lib/logger').setMethods({ info() {}, warn() {}, error() {} });
