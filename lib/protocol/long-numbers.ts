// 64-bit fields (console output offsets) decode as plain numbers, exact up to 2^53 bytes,
// rather than as Long objects when the `long` package happens to be installed. Imported before
// the generated code, whose field defaults are made when it loads.
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
