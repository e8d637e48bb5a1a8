#!/usr/bin/env node
/**
 * The `cdk-hybrid-alb-service` command. Everything but the process lives in cli.ts.
 */
import * as fs from 'fs';
import { main } from './cli';

void main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => fs.readFileSync(path, 'utf8'),
  writeFile: (path, content) => fs.writeFileSync(path, content),
  stderrIsTty: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
