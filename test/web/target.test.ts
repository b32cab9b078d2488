import t from 'tap';
import { pageExecUrl, gatewayPrefix, hashFor, loginCodeFromHash, machineListUrl, targetFromHash } from '../../lib/web/page/target.js';

t.test('the hash names namespace and machine', async (t) => {
  t.same(targetFromHash('#/default/m1'), { namespace: 'default', machine: 'm1' });
  t.same(targetFromHash('#default/m1'), { namespace: 'default', machine: 'm1' });
  t.same(targetFromHash('#/default'), { namespace: 'default', machine: '' });
  t.same(targetFromHash(''), { namespace: '', machine: '' });
  t.same(targetFromHash('#/%E0%A4%A/m1'), { namespace: '', machine: 'm1' }, 'a malformed escape is dropped, not thrown');
  t.same(targetFromHash('#/default/demo?login=abc'), { namespace: 'default', machine: 'demo' }, 'a login code is not part of the name');
});

t.test('the dev stack link\'s one-time login code', async (t) => {
  t.equal(loginCodeFromHash('#/default/demo?login=Ab-_9'), 'Ab-_9');
  t.equal(loginCodeFromHash('#/default/demo'), undefined);
  t.equal(loginCodeFromHash('#/default/demo?login='), undefined);
  t.equal(machineListUrl('a b'), '/apis/console.ironcore.dev/v1/namespaces/a%20b/machines');
});

t.test('hashFor and targetFromHash round-trip, escaping what a name cannot hold', async (t) => {
  for (const target of [{ namespace: 'default', machine: 'web-1.example' }, { namespace: 'a/b', machine: '#?%' }]) {
    t.same(targetFromHash(hashFor(target)), target);
  }
  t.equal(hashFor({ namespace: 'default', machine: 'm1' }), '#/default/m1');
});

t.test('the exec URL is on the page host, wss for an https page, with stdin and a tty', async (t) => {
  const target = { namespace: 'default', machine: 'm1' };
  t.equal(
    pageExecUrl({ protocol: 'https:', host: 'console.example:8443' }, target),
    'wss://console.example:8443/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1/exec?stdin=true&tty=true&announceOffset=true&announceRole=true',
  );
  t.match(pageExecUrl({ protocol: 'http:', host: 'localhost:8080' }, target), /^ws:\/\/localhost:8080\//);
  t.match(pageExecUrl({ protocol: 'https:', host: 'h' }, { namespace: '..', machine: 'a/b' }), '/namespaces/../machines/a%2Fb/exec');
});

t.test('a page mounted under a prefix opens consoles and lists machines under the same prefix', async (t) => {
  t.equal(gatewayPrefix('/console/'), '');
  t.equal(gatewayPrefix('/ops/consoles/console/'), '/ops/consoles');
  t.equal(gatewayPrefix('/elsewhere'), '', 'a page not under /console/ has no prefix');
  t.equal(
    pageExecUrl({ protocol: 'https:', host: 'h', pathname: '/consoles/console/' }, { namespace: 'default', machine: 'm1' }),
    'wss://h/consoles/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1/exec?stdin=true&tty=true&announceOffset=true&announceRole=true',
  );
  t.equal(machineListUrl('default', '/consoles'), '/consoles/apis/console.ironcore.dev/v1/namespaces/default/machines');
});
