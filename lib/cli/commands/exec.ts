// `ironcore-console exec MACHINE` (alias `console`): the flags, then lib/client does the work.
import {
  DEFAULT_ESCAPE,
  EOF_QUIET_GRACE_MS,
  INPUT_REFUSED_EXIT_CODE,
  ExecError,
  checkNames,
  parseDuration,
  parseEscapeKey,
  resolveConnection,
  runExec,
} from '../../client/index.js';
import { EXIT, UsageError, parseCommandArgs, type CliCommand } from '../usage.js';

const summary = "open a machine's serial console (alias: console)";

const USAGE = `usage: ironcore-console exec MACHINE [options]
       kubectl ironcore-console exec MACHINE [options]

Opens the console of a compute.ironcore.dev Machine through the gateway (the cluster's server).
On a terminal the session is raw: every key goes to the machine; type the escape character
(default ^]) alone to leave. The banner says whether you are the writer (your keys reach the
machine) or a viewer (another session holds the write lock; leave and add --takeover to write).
Without a terminal, stdin is streamed; at its end the command leaves once the console has been
quiet for ${EOF_QUIET_GRACE_MS / 1000}s (or --idle-exit), and the console's recent output is not replayed:
    printf 'uname -a\\n' | ironcore-console exec m1

options:
  -n, --namespace NS              the machine's namespace (default: the context's, else "default")
      --kubeconfig FILE           kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME              kubeconfig context to use
      --server URL                the gateway/API server URL, overriding the kubeconfig's
      --token TOKEN               bearer token, overriding the kubeconfig's
      --certificate-authority F   CA bundle (PEM) that signs the server's certificate
      --insecure-skip-tls-verify  do not verify the server's certificate (unsafe)
      --read-only                 attach as a viewer: see output, send nothing
      --takeover                  take the write lock from the session that holds it
      --replay / --no-replay      replay the console's recent output first (default: only
                                  when stdout is a terminal)
      --escape KEY                escape character in ^X notation, or "none" (default ${DEFAULT_ESCAPE})
      --idle-exit DURATION        leave after DURATION without output (e.g. 500ms, 2s, 1m), also
                                  after stdin's end instead of ${EOF_QUIET_GRACE_MS / 1000}s
      --log FILE                  append the session's output to FILE
      --record FILE.cast          record the session as an asciinema v2 file
      --reconnect / --no-reconnect  connect again (replaying what was missed) when the gateway
                                  goes away (default: on with a terminal, off without)
  -t, --tty / --no-tty            whether to ask for a terminal (default: whether stdin is one)
  -h, --help                      this help

exit codes: the console's own exit code when it reports one, 0 when you leave; ${EXIT.usage} usage,
${EXIT.auth} not authenticated/authorized, ${EXIT.notFound} machine not found, ${EXIT.unreachable} gateway or console unreachable,
${INPUT_REFUSED_EXIT_CODE} without a terminal: input not delivered (another session held the write lock, or --read-only),
${EXIT.failure} other failures.`;

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
  'certificate-authority': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  'read-only': { type: 'boolean' },
  takeover: { type: 'boolean' },
  replay: { type: 'boolean' },
  'no-replay': { type: 'boolean' },
  escape: { type: 'string', default: DEFAULT_ESCAPE },
  'idle-exit': { type: 'string' },
  log: { type: 'string' },
  record: { type: 'string' },
  reconnect: { type: 'boolean' },
  'no-reconnect': { type: 'boolean' },
  tty: { type: 'boolean', short: 't' },
  'no-tty': { type: 'boolean' },
} as const;

async function run(argv: string[]): Promise<void> {
  const parsed = parseCommandArgs('exec', { args: argv, options: OPTIONS, allowPositionals: true, strict: true }, USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(`exec needs exactly one MACHINE name, got ${positionals.length} (usage: ironcore-console exec MACHINE [options]; see --help)`);
  }
  if (values.tty && values['no-tty']) throw new UsageError('--tty and --no-tty exclude each other');
  if (values.reconnect && values['no-reconnect']) throw new UsageError('--reconnect and --no-reconnect exclude each other');
  if (values.replay && values['no-replay']) throw new UsageError('--replay and --no-replay exclude each other');
  const idleExit = values['idle-exit'];
  const idleExitMs = idleExit === undefined ? undefined : parseDuration(idleExit);
  if (idleExit !== undefined && !idleExitMs) {
    throw new UsageError(`invalid --idle-exit ${JSON.stringify(idleExit)}: use a positive duration, e.g. 500ms, 2s or 1m30s`);
  }
  try {
    // Flags first: a bad name is a usage error even where the kubeconfig would fail.
    checkNames(positionals[0]!, values.namespace);
    const escapeKey = parseEscapeKey(values.escape);
    process.exitCode = await runExec({
      connection: resolveConnection({
        kubeconfig: values.kubeconfig,
        context: values.context,
        namespace: values.namespace,
        server: values.server,
        token: values.token,
        certificateAuthority: values['certificate-authority'],
        insecureSkipTlsVerify: values['insecure-skip-tls-verify'],
      }),
      machine: positionals[0]!,
      tty: values.tty ? true : values['no-tty'] ? false : undefined,
      reconnect: values.reconnect ? true : values['no-reconnect'] ? false : undefined,
      readOnly: values['read-only'],
      takeover: values.takeover,
      replay: values.replay ? true : values['no-replay'] ? false : undefined,
      escapeKey,
      idleExitMs,
      logFile: values.log,
      recordFile: values.record,
    });
  } catch (error) {
    throw error instanceof ExecError ? cliError(error) : error;
  }
}

/** The CLI's form of a client failure: main prints the message and exits with the code. */
function cliError(error: ExecError): Error {
  if (error.kind === 'usage') return new UsageError(error.message);
  return Object.assign(new Error(error.message, { cause: error }), { exitCode: EXIT[error.kind] });
}

export const execCommand: CliCommand = { summary, run };
