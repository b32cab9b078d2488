import t from 'tap';
import { PROVIDER_CONFIG_EXAMPLE, ProviderConfigError, parseProviderConfig } from '../../lib/provider/index.js';

const TLS = 'tls: {certFile: /tls/crt, keyFile: /tls/key, clientCAFile: /tls/ca}\n';

t.test('a full YAML config', async (t) => {
  const config = parseProviderConfig(`
listen: "127.0.0.1:9000"
tls:
  certFile: /etc/ic/tls.crt
  keyFile: /etc/ic/tls.key
  clientCAFile: /etc/ic/ca.crt
  allowedSubjects: [ironcore-console-gateway]
backend:
  kind: unix-serial
  path: /run/consoles/{namespace}/{machine}.sock
sharing: exclusive
scrollbackBytes: 0
stallTimeoutSeconds: 10
lingerSeconds: 5
`);
  t.same(config, {
    listen: { host: '127.0.0.1', port: 9000 },
    tls: { certFile: '/etc/ic/tls.crt', keyFile: '/etc/ic/tls.key', clientCAFile: '/etc/ic/ca.crt', allowedSubjects: ['ironcore-console-gateway'] },
    insecureNoClientAuth: false,
    insecureNoTLS: false,
    backend: { kind: 'unix-serial', path: '/run/consoles/{namespace}/{machine}.sock' },
    sharing: 'exclusive',
    scrollbackBytes: 0,
    stallTimeoutSeconds: 10,
    lingerSeconds: 5,
  });
});

t.test('JSON works too, and defaults fill the rest', async (t) => {
  const config = parseProviderConfig(JSON.stringify({
    tls: { certFile: 'c', keyFile: 'k', clientCAFile: 'ca' },
    backend: { kind: 'tcp-serial', address: '{machine}.{namespace}.consoles:7000' },
  }));
  t.match(config, {
    listen: { port: 12319 },
    backend: { kind: 'tcp-serial', address: '{machine}.{namespace}.consoles:7000' },
    sharing: 'shared',
    scrollbackBytes: 65536,
    stallTimeoutSeconds: 30,
    lingerSeconds: 30,
  });
  t.equal(config.listen.host, undefined, 'all interfaces');
});

t.test('a pty backend defaults to sharing none; dev settings', async (t) => {
  const config = parseProviderConfig(`
listen: "[::1]:0"
insecureNoTLS: true
backend: {kind: pty, command: /bin/bash, args: [-l], env: {FOO: bar}, cwd: /tmp}
`);
  t.same(config.listen, { host: '::1', port: 0 });
  t.same(config.backend, { kind: 'pty', command: '/bin/bash', args: ['-l'], env: { FOO: 'bar' }, cwd: '/tmp' });
  t.equal(config.sharing, 'none');
  t.equal(config.tls, undefined);
});

t.test('authorization: the pool and the API server the reviews go to (a kubeconfig, or the pod\'s service account)', async (t) => {
  const withKubeconfig = parseProviderConfig(`${TLS}backend: {kind: pty}
authorization:
  machinePool: pool-a
  kube: {kubeconfig: /etc/ic/kubeconfig, context: provider}
`);
  t.same(withKubeconfig.authorization, { machinePool: 'pool-a', kube: { kubeconfig: '/etc/ic/kubeconfig', context: 'provider' } });
  const inCluster = parseProviderConfig(`${TLS}backend: {kind: pty}\nauthorization: {machinePool: pool-a, kube: {}}\n`);
  t.same(inCluster.authorization, { machinePool: 'pool-a', kube: {} });
  t.equal(parseProviderConfig(`${TLS}backend: {kind: pty}\n`).authorization, undefined, 'off by default');
});

t.test('mistakes are reported with the key that is wrong', async (t) => {
  const cases: Array<[string, RegExp]> = [
    [`${TLS}backend: {kind: pty}\nscrollback: 10\n`, /unknown key scrollback/],
    [`${TLS}backend: {kind: pty, path: /x}\n`, /unknown key backend.path/],
    ['backend: {kind: pty}\n', /tls is required .* insecureNoTLS/],
    ['tls: {certFile: c, keyFile: k}\nbackend: {kind: pty}\n', /tls.clientCAFile is required .* insecureNoClientAuth/],
    ['tls: {keyFile: k, clientCAFile: ca}\nbackend: {kind: pty}\n', /tls.certFile is required/],
    [`${TLS}`, /backend is required/],
    [`${TLS}backend: {kind: ipmi}\n`, /backend.kind must be one of unix-serial, tcp-serial, pty, got "ipmi"/],
    [`${TLS}backend: {kind: unix-serial}\n`, /backend.path is required/],
    [`${TLS}backend: {kind: pty, env: {A: 1}}\n`, /backend.env.A must be a string/],
    [`${TLS}backend: {kind: pty}\nsharing: everyone\n`, /sharing must be one of shared, exclusive, none/],
    [`${TLS}backend: {kind: pty}\nlisten: "12319"\n`, /listen must be \[host\]:port/],
    [`${TLS}backend: {kind: pty}\nscrollbackBytes: -1\n`, /scrollbackBytes must be a non-negative integer/],
    [`${TLS}backend: {kind: pty}\ninsecureNoTLS: "yes"\n`, /insecureNoTLS must be a boolean/],
    [`${TLS}backend: {kind: pty}\nauthorization: {kube: {}}\n`, /authorization.machinePool is required/],
    [`${TLS}backend: {kind: pty}\nauthorization: {machinePool: p}\n`, /authorization.kube is required/],
    [`${TLS}backend: {kind: pty}\nauthorization: {machinePool: p, kube: {context: c}}\n`, /authorization.kube.context needs authorization.kube.kubeconfig/],
    [`${TLS}backend: {kind: pty}\nauthorization: {machinePool: p, kube: {server: x}}\n`, /unknown key authorization.kube.server/],
    ['- a list\n', /the document must be a mapping/],
    ['{ not: yaml', /not valid YAML or JSON/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseProviderConfig(text, 'provider.yaml'), { name: 'ProviderConfigError', message }, message.source);
  }
  t.throws(() => parseProviderConfig('{}', 'provider.yaml'), ProviderConfigError);
});

t.test('the documented example states the defaults a config without those keys gets', async (t) => {
  const example = parseProviderConfig(PROVIDER_CONFIG_EXAMPLE);
  const defaults = parseProviderConfig(`${TLS}backend: {kind: unix-serial, path: "/run/consoles/{machine}.sock"}\n`);
  for (const key of ['listen', 'sharing', 'scrollbackBytes', 'stallTimeoutSeconds', 'lingerSeconds'] as const) {
    t.same(example[key], defaults[key], key);
  }
});
