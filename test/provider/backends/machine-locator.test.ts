import fc from 'fast-check';
import t from 'tap';
import { machineLocator } from '../../../lib/provider/backends/machine-locator.js';

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const subdomain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const identity = (path: string) => path;

t.test('DNS-1123 names are substituted into the template', async (t) => {
  const locate = machineLocator('/run/consoles/{namespace}/{machine}.sock', identity);
  fc.assert(
    fc.property(label, subdomain, (namespace, machine) => {
      return locate(namespace, machine) === `/run/consoles/${namespace}/${machine}.sock`;
    }),
  );
  t.equal(machineLocator('{machine}-{machine}', identity)('ns', 'vm'), 'vm-vm', 'a placeholder may repeat');
});

t.test("a name with '/' or '..' never reaches a template or a function", async (t) => {
  const unsafe = fc.oneof(
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}/${b}`),
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}..${b}`),
    fc.constant(''),
  );
  const called: string[] = [];
  const viaTemplate = machineLocator('/run/consoles/{namespace}/{machine}.sock', identity);
  const viaFunction = machineLocator((namespace, machine) => {
    called.push(`${namespace}/${machine}`);
    return '';
  }, identity);
  fc.assert(
    fc.property(unsafe, subdomain, fc.boolean(), (bad, good, badIsNamespace) => {
      const [namespace, machine] = badIsNamespace ? [bad, good] : [good, bad];
      const what = badIsNamespace ? 'namespace' : 'machine name';
      t.throws(() => viaTemplate(namespace, machine), new RegExp(`refusing unsafe ${what}`));
      t.throws(() => viaFunction(namespace, machine), new RegExp(`refusing unsafe ${what}`));
    }),
    { numRuns: 50 },
  );
  t.same(called, [], 'the function was never called');
});

t.test('an unknown placeholder fails when the locator is made', async (t) => {
  t.throws(() => machineLocator('/run/{pool}/{machine}.sock', identity), /unknown placeholder \{pool\}/);
});
