// A provider embedded in an existing node:https server: the server keeps its own routes, and
// hands the console link and IEP-02's per-machine endpoint to ironcore-console. Its machines'
// consoles come from a ConsoleBackend of its own: every machine named echo-* is a console that
// says hello and echoes what is typed (a real provider would attach to a serial port here).
//
//   TLS_KEY=server.key TLS_CERT=server.crt TLS_CA=ca.crt node embedded-provider.mjs
//
// It prints `provider listening on PORT` (PORT=0, the default, lets the OS pick) and stops on
// SIGTERM or SIGINT: signals are the embedder's business, never the library's.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { NotFoundError, createProviderHandler } from 'ironcore-console/provider';

/** A console that greets and echoes: the ConsoleStream contract, by hand. */
function echoConsole(machine) {
  let deliver; // set by onData; output waits for it, and while paused
  let onEnd = () => {};
  let paused = false;
  const held = [Buffer.from(`${machine} ready\r\n`)];
  const flush = () => {
    while (deliver && !paused && held.length > 0) deliver(held.shift());
  };
  const emit = (chunk) => {
    held.push(chunk);
    flush();
  };
  return {
    write(chunk) {
      // A terminal sends Enter as CR; answer with CR LF, as a tty would.
      emit(Buffer.from(Buffer.from(chunk).toString('utf8').replaceAll('\r', '\r\n')));
      return true;
    },
    end: () => onEnd({ exitCode: 0 }),
    pause: () => (paused = true),
    resume() {
      paused = false;
      flush();
    },
    onData(handler) {
      deliver = handler;
      flush();
    },
    onDrain: () => {},
    onEnd: (handler) => (onEnd = handler),
    onError: () => {},
    close: () => {},
  };
}

const backend = {
  async open({ namespace, machine }) {
    if (!machine.startsWith('echo-')) throw new NotFoundError(`machine ${namespace}/${machine} has no console here`);
    return echoConsole(machine);
  },
};

const provider = createProviderHandler({ backend, clientCertificates: { required: true } });

const server = createServer(
  {
    key: readFileSync(process.env.TLS_KEY),
    cert: readFileSync(process.env.TLS_CERT),
    ca: readFileSync(process.env.TLS_CA),
    // Gateways prove who they are with a certificate from this CA.
    requestCert: true,
    rejectUnauthorized: true,
  },
  (req, res) => {
    // The server's own routes first; the provider answers the rest with a Status.
    if (req.url === '/hello') return res.end('hello from the pool host\n');
    provider.handleRequest(req, res);
  },
);
server.on('upgrade', (req, socket, head) => {
  if (provider.handles(req)) provider.handleUpgrade(req, socket, head);
  else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`provider listening on ${server.address().port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    provider.close(); // links and sessions get 503 "provider shutting down"
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
