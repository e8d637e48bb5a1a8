'use strict';

// A handler that always throws, to check that the runtime interface client reports an invocation
// error through POST /runtime/invocation/{id}/error and that the emulator records it.
exports.handler = async () => {
  throw new TypeError('the handler failed on purpose');
};
