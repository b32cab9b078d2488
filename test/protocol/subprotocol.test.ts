import t from 'tap';
import fc from 'fast-check';
import {
  BEARER_PROTOCOL_PREFIX,
  decodeBearerToken,
  encodeBearerProtocol,
  parseOfferedProtocols,
} from '../../lib/protocol/index.js';

t.test('the server picks its most preferred protocol the client offers', async (t) => {
  t.equal(parseOfferedProtocols('channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io').protocol, 'v5.channel.k8s.io');
  t.equal(parseOfferedProtocols('base64.channel.k8s.io,v4.base64.channel.k8s.io').protocol, 'v4.base64.channel.k8s.io');
  t.equal(parseOfferedProtocols('channel.k8s.io').protocol, 'channel.k8s.io');
  t.equal(parseOfferedProtocols('v6.channel.k8s.io, chat').protocol, undefined, 'nothing we speak');
  t.equal(parseOfferedProtocols('').protocol, undefined);
});

t.test('the bearer-token subprotocol carries a token but is never chosen', async (t) => {
  const header = `v5.channel.k8s.io, ${encodeBearerProtocol('tok.en-with/odd+chars=')}`;
  const offered = parseOfferedProtocols(header);
  t.equal(offered.protocol, 'v5.channel.k8s.io');
  t.equal(offered.bearerToken, 'tok.en-with/odd+chars=');
  t.equal(offered.bearerError, undefined);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), (token) => {
      const parsed = parseOfferedProtocols(`v4.channel.k8s.io,${encodeBearerProtocol(token)}`);
      return parsed.bearerToken === token;
    }),
    { numRuns: 500 },
  );
});

t.test('bad bearer subprotocols are refused with kube-apiserver messages', async (t) => {
  const withPadding = BEARER_PROTOCOL_PREFIX + Buffer.from('ab').toString('base64');
  t.match(withPadding, /=$/);
  t.equal(parseOfferedProtocols(`v5.channel.k8s.io,${withPadding}`).bearerError, 'invalid base64.bearer.authorization token encoding', 'padding');
  t.equal(parseOfferedProtocols(`v5.channel.k8s.io,${BEARER_PROTOCOL_PREFIX}a+b/`).bearerError, 'invalid base64.bearer.authorization token encoding', 'standard alphabet');
  t.equal(parseOfferedProtocols(`v5.channel.k8s.io,${BEARER_PROTOCOL_PREFIX}a`).bearerError, 'invalid base64.bearer.authorization token encoding', 'impossible length');
  const notUtf8 = BEARER_PROTOCOL_PREFIX + Buffer.from([0xc3, 0x28]).toString('base64url');
  t.equal(parseOfferedProtocols(`v5.channel.k8s.io,${notUtf8}`).bearerError, 'invalid base64.bearer.authorization token');
  t.equal(parseOfferedProtocols(encodeBearerProtocol('t')).bearerError, 'missing additional subprotocol');
  const twice = parseOfferedProtocols(`v5.channel.k8s.io,${encodeBearerProtocol('a')},${encodeBearerProtocol('b')}`);
  t.equal(twice.bearerError, 'multiple base64.bearer.authorization tokens specified');
  t.equal(twice.bearerToken, undefined, 'no token survives an error');
  t.same(parseOfferedProtocols(`v5.channel.k8s.io,${BEARER_PROTOCOL_PREFIX}`), { protocol: 'v5.channel.k8s.io' }, 'empty token: no credentials');
  t.type(decodeBearerToken('QQ'), 'string');
  t.type(decodeBearerToken('QR'), Error, 'non-canonical trailing bits');
});
