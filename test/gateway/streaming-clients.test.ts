// The official Kubernetes clients that speak websocket drive the gateway: the Python client
// (Debian's python3-kubernetes, v4.channel.k8s.io) and the JavaScript client
// (@kubernetes/client-node, v5 first). Like kubectl they exec into pods, so they reach the
// gateway through the kubectl front (pods/M/exec rewritten to the machine exec path).
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { issueServerCert } from '../fixtures/certs.js';
import { startKubectlFront } from '../fixtures/kubectl-front.js';
import { writeKubeconfig } from '../fixtures/kubectl.js';
import { ALICE, startStack } from '../fixtures/stack.js';

// Debian's python3 (the package installs there), not whichever python3 is first on PATH.
const PYTHON = '/usr/bin/python3';
const pythonClient = await new Promise<boolean>((resolve) =>
  existsSync(PYTHON) ? execFile(PYTHON, ['-c', 'import kubernetes'], (error) => resolve(!error)) : resolve(false),
);
const skipWithoutPython = pythonClient ? false : `the official Python client is not installed (apt-get install python3-kubernetes)`;

const stack = await startStack();
const dir = await mkdtemp(join(tmpdir(), 'gateway-clients-'));
const front = await startKubectlFront({ tls: await issueServerCert(stack.ca), target: { host: '127.0.0.1', port: stack.gateway.port, ca: stack.ca.cert } });
const kubeconfig = await writeKubeconfig(dir, { server: front.url, ca: stack.ca.cert, token: ALICE });
t.teardown(async () => {
  await front.close();
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

// stdin is written, then the session runs until the console ends; the exit code is the
// client's own reading of the error channel (WSClient.returncode).
const PYTHON_EXEC = `
import json, sys
from kubernetes import client, config
from kubernetes.stream import stream
config.load_kube_config(config_file=sys.argv[1])
api = client.CoreV1Api()
try:
    session = stream(api.connect_get_namespaced_pod_exec, sys.argv[2], 'default', command=['console'],
                     stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False)
except Exception as error:
    print(json.dumps({'error': str(error)}))
    sys.exit(0)
session.write_stdin(sys.argv[3])
out = ''
while session.is_open():
    session.update(timeout=1)
    out += session.read_stdout()
out += session.read_stdout()
print(json.dumps({'stdout': out, 'code': session.returncode}))
`;

function python(machine: string, input: string): Promise<{ stdout?: string; code?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', PYTHON_EXEC, kubeconfig, machine, input], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

t.test('the Python client (v4): input runs, the exit code is the console\'s', { skip: skipWithoutPython }, async (t) => {
  const result = await python('m1', 'echo python-$((6*7))\nexit 3\n');
  t.match(result.stdout, /python-42/);
  t.equal(result.code, 3);
});

t.test('the Python client: a missing machine is refused with its Status', { skip: skipWithoutPython }, async (t) => {
  const result = await python('nope', '');
  t.match(result.error, /404/);
});

/** Runs `input` through the JavaScript client's Exec; resolves with stdout and the final Status. */
async function javascript(machine: string, input: string): Promise<{ stdout: string; status: V1Status }> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(config).exec('default', machine, 'console', ['console'], stdout, null, Readable.from([input]), false, resolve).catch(reject);
  });
  return { stdout: text, status };
}

t.test('the JavaScript client (v5): input runs, its stdin EOF ends the console', async (t) => {
  const result = await javascript('m1', 'echo javascript-$((6*7))\n');
  t.match(result.stdout, /javascript-42/);
  t.match(result.status, { status: 'Success' }, 'the close channel reached the console as end of input');
});

t.test('the JavaScript client: a non-zero exit comes as the ExitCode cause', async (t) => {
  const result = await javascript('m1', 'exit 7\n');
  t.match(result.status, { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
});

t.test('the JavaScript client: a missing machine is refused', async (t) => {
  await t.rejects(javascript('nope', ''), /404|Unexpected server response/);
});
