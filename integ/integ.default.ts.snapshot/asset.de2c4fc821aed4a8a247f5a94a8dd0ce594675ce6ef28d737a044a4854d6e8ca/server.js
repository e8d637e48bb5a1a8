'use strict';

const { createApp } = require('./app');

const port = Number(process.env.PORT || 8080);

// The ALB keeps idle connections to targets open for 60 seconds by default. Node closes idle
// connections after 5 seconds, so the ALB could reuse one Node has just closed and answer 502;
// keep them open longer than the ALB does.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const server = createApp().listen(port, () => {
  console.log(JSON.stringify({ event: 'listening', port, side: process.env.HYBRID_SIDE }));
});
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

// ECS stops a task with SIGTERM. Node runs as PID 1 here (entrypoint.sh execs it), and PID 1 gets no
// default signal handling, so without these handlers the task would wait for SIGKILL. Finish the
// requests in flight, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(JSON.stringify({ event: 'shutdown', signal }));
    server.close(() => process.exit(0));
  });
}
