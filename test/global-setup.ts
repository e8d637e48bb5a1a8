/**
 * Jest globalSetup: runs once in the parent process before any test file, so the Python virtualenvs are made
 * one at a time and every worker finds them ready. Without python3 the tests that need them skip and say so.
 */
import { hasPython, prepareAllVenvs } from './python-tools';

export default function globalSetup(): void {
  if (hasPython()) {
    prepareAllVenvs();
  }
}
