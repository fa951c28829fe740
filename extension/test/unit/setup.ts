// Mocha --require: `import * as vscode from 'vscode'` in the extension's
// modules gets the mock (the real module exists only in an extension host).
import Module = require('module');
import * as path from 'path';

const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = mod._resolveFilename;
mod._resolveFilename = function (request: string, ...rest: unknown[]) {
  if (request === 'vscode') {
    return path.join(__dirname, 'vscode-mock.js');
  }
  return original.call(this, request, ...rest);
};
