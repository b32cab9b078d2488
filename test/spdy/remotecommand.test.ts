import t from 'tap';
import { failureStatus } from '../../lib/protocol/index.js';
import { checkSpdyUpgrade, negotiateSpdyProtocol, spdySwitchingProtocolsHead } from '../../lib/spdy/index.js';

const upgrade = { connection: 'Upgrade', upgrade: 'SPDY/3.1' };

t.test('negotiation picks our most preferred protocol among all offered values, never v5', async (t) => {
  t.equal(negotiateSpdyProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io']), 'v4.channel.k8s.io');
  t.equal(negotiateSpdyProtocol(['channel.k8s.io, v3.channel.k8s.io']), 'v3.channel.k8s.io', 'comma-separated values count too');
  t.equal(negotiateSpdyProtocol([' v2.channel.k8s.io ']), 'v2.channel.k8s.io');
  t.equal(negotiateSpdyProtocol(['v5.channel.k8s.io', 'v4.base64.channel.k8s.io']), undefined);
});

t.test('checkSpdyUpgrade answers as httpstream does, with Status bodies', async (t) => {
  // client-go's request: each protocol a header; node joins repeated ones with ", ".
  t.same(checkSpdyUpgrade({ ...upgrade, 'x-stream-protocol-version': 'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io' }), { protocol: 'v4.channel.k8s.io' });
  t.same(checkSpdyUpgrade({ connection: 'keep-alive, Upgrade', upgrade: 'spdy/3.1', 'x-stream-protocol-version': 'channel.k8s.io' }), { protocol: 'channel.k8s.io' }, 'case and token lists as Go compares them');
  t.same(
    checkSpdyUpgrade({ connection: 'Upgrade', upgrade: 'websocket', authorization: 'Bearer secret', 'x-stream-protocol-version': 'v4.channel.k8s.io' }),
    failureStatus(400, 'unable to upgrade: missing upgrade headers in request: expected Connection: Upgrade and Upgrade: SPDY/3.1'),
    'a websocket upgrade is not SPDY (and no header is echoed)',
  );
  t.same(checkSpdyUpgrade(upgrade), failureStatus(400, 'unable to upgrade: X-Stream-Protocol-Version is required'));
  t.same(
    checkSpdyUpgrade({ ...upgrade, 'x-stream-protocol-version': 'v5.channel.k8s.io' }),
    failureStatus(400, 'unable to upgrade: unable to negotiate protocol: client supports [v5.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]'),
  );
});

t.test('the 101 names the upgrade and the chosen protocol', async (t) => {
  t.equal(spdySwitchingProtocolsHead('v4.channel.k8s.io'), 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
});
