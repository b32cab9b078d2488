// lib/provider/backends: the built-in ConsoleBackends a pool provider can use as they are.
//  - createUnixSerialBackend: a serial console behind a unix socket (QEMU, libvirt);
//  - createTcpSerialBackend: a serial console behind a TCP port (QEMU, ser2net);
//  - createPtyBackend: a process on a pseudo-terminal (dev stack, container-like machines).
export { createUnixSerialBackend, type UnixSerialBackendOptions } from './unix-serial.js';
export { createTcpSerialBackend, type TcpSerialBackendOptions, type TcpAddress } from './tcp-serial.js';
export { createPtyBackend, type PtyBackendOptions } from './pty-backend.js';
export type { Locator } from './machine-locator.js';
