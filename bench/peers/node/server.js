// Node.js peer of the benchmark comparison (the built-in http module): "Hello, World!" on /,
// a JSON answer on /json.
//
//   node server.js PORT [WORKERS]   listens on 127.0.0.1:PORT. WORKERS 1 (default) is one
//                                   process; more use the cluster module (one process each).
'use strict';
const cluster = require('cluster');
const http = require('http');

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] || 1);
const hello = Buffer.from('Hello, World!');
const json = Buffer.from('{"message":"Hello, World!"}');

function serve() {
  const server = http.createServer((req, res) => {
    const body = req.url === '/json' ? json : hello;
    res.writeHead(200, {
      'Server': 'Node',
      'Content-Type': req.url === '/json' ? 'application/json' : 'text/plain',
      'Content-Length': body.length,
    });
    res.end(body);
  });
  // Node closes keep-alive connections idle for 5 s by default; the idle-connection memory
  // test holds them open longer than that, and no other peer has so short a limit.
  server.keepAliveTimeout = 0;
  server.listen(port, '127.0.0.1', 4096);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
} else {
  serve();
}
