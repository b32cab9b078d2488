// A real machine with a serial console, for tests (and later the dev stack): a Linux guest
// under QEMU (TCG, so no /dev/kvm is needed) whose initramfs is a static busybox that runs a
// shell on ttyS0, its serial port exposed as a unix socket or a loopback TCP port, as a
// libvirt/QEMU machine pool exposes it. Needs qemu-system-x86_64, a kernel at
// /boot/vmlinuz-*, and a static busybox (Debian: qemu-system-x86, linux-image-amd64,
// busybox-static); the initramfs is written here, so no cpio tool is needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The shell prompt of the guest. */
export const GUEST_PROMPT = 'guest# ';

/** Where the guest's serial port listens: a unix socket, or a TCP port on 127.0.0.1 (0 picks one). */
export type GuestSerial = { unix: string } | { tcp: number };

export interface GuestTools {
  qemu: string;
  kernel: string;
  busybox: string;
}

export interface Guest {
  process: ChildProcess;
  /** Where the serial port listens (with the port QEMU picked, when 0 was asked for). */
  serial: GuestSerial;
  /** Stops QEMU and resolves once it has exited. */
  kill(): Promise<void>;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
export PS1='${GUEST_PROMPT}'
exec setsid cttyhack sh
`;

const LISTEN_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 5_000;

/** The tools a guest needs, or a sentence saying which are missing (for a test's skip message). */
export async function findGuestTools(): Promise<GuestTools | string> {
  const [qemu, kernel, busybox] = await Promise.all([findExecutable('qemu-system-x86_64'), findKernel(), findStaticBusybox()]);
  if (qemu && kernel && busybox) return { qemu, kernel, busybox };
  const missing = [
    qemu ? [] : ['qemu-system-x86_64 (Debian: qemu-system-x86)'],
    kernel ? [] : ['a readable kernel at /boot/vmlinuz-* (Debian: linux-image-amd64)'],
    busybox ? [] : ['a static busybox (Debian: busybox-static)'],
  ].flat();
  return `missing ${missing.join(', ')}`;
}

/** Writes a gzipped initramfs into `dir` and returns its path. */
export async function buildInitramfs(dir: string, busybox = '/bin/busybox'): Promise<string> {
  const folders = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'root', 'tmp'];
  const archive = newcArchive([
    ...folders.map((name) => ({ name, mode: 0o040755 })),
    // The kernel opens /dev/console for init before devtmpfs is mounted.
    { name: 'dev/console', mode: 0o020600, device: [5, 1] as const },
    { name: 'bin/busybox', mode: 0o100755, data: await readFile(busybox) },
    { name: 'init', mode: 0o100755, data: Buffer.from(INIT) },
  ]);
  const path = join(dir, 'initramfs.cpio.gz');
  await writeFile(path, gzipSync(archive));
  return path;
}

/** Boots the guest and resolves once its serial port listens (the shell comes a few seconds later). */
export async function bootGuest(options: { initrd: string; serial: GuestSerial; tools?: GuestTools }): Promise<Guest> {
  const tools = options.tools ?? (await findGuestTools());
  if (typeof tools === 'string') throw new Error(`cannot boot a guest: ${tools}`);
  const serial =
    'unix' in options.serial ? `unix:${options.serial.unix},server=on,wait=off` : `tcp:127.0.0.1:${options.serial.tcp},server=on,wait=off`;
  // prettier-ignore
  const qemu = spawn(tools.qemu, [
    '-machine', 'accel=tcg', '-m', '256', '-nodefaults', '-display', 'none', '-no-reboot',
    '-kernel', tools.kernel, '-initrd', options.initrd,
    '-append', 'console=ttyS0 panic=-1 quiet',
    '-serial', serial,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = once(qemu, 'exit');
  const kill = async (): Promise<void> => {
    if (qemu.exitCode !== null || qemu.signalCode !== null) return;
    qemu.kill('SIGTERM');
    const timer = setTimeout(() => qemu.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const listening = await waitUntilListening(qemu, options.serial);
    return { process: qemu, serial: listening, kill };
  } catch (error) {
    await kill();
    throw new Error(`QEMU did not start: ${(error as Error).message}${stderr ? `; it said: ${stderr.trim()}` : ''}`);
  }
}

async function waitUntilListening(qemu: ChildProcess, serial: GuestSerial): Promise<GuestSerial> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (qemu.exitCode !== null || qemu.signalCode !== null) throw new Error(`it exited (${qemu.exitCode ?? qemu.signalCode})`);
    if ('unix' in serial) {
      if (await isSocket(serial.unix)) return serial;
    } else {
      const port = await listeningLoopbackPort(qemu.pid!);
      if (port !== undefined) return { tcp: port };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`its serial port did not listen within ${LISTEN_TIMEOUT_MS} ms`);
}

async function isSocket(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isSocket(),
    () => false,
  );
}

/** The loopback TCP port process `pid` listens on: its socket inodes, looked up in /proc/net/tcp. */
async function listeningLoopbackPort(pid: number): Promise<number | undefined> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    const [address, port] = (fields[1] ?? '').split(':');
    if (address === '0100007F' && fields[3] === '0A' && inodes.has(fields[9] ?? '')) return parseInt(port!, 16);
  }
  return undefined;
}

async function findExecutable(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  return undefined;
}

/** The newest readable /boot/vmlinuz-*. */
async function findKernel(): Promise<string | undefined> {
  const kernels = (await readdir('/boot').catch(() => []))
    .filter((name) => name.startsWith('vmlinuz-'))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .reverse();
  for (const name of kernels) {
    if (await access(join('/boot', name), constants.R_OK).then(() => true, () => false)) return join('/boot', name);
  }
  return undefined;
}

/** busybox, if it is statically linked: the initramfs has no libc for a dynamic one. */
async function findStaticBusybox(): Promise<string | undefined> {
  const path = await findExecutable('busybox');
  if (!path) return undefined;
  return hasInterpreter(await readFile(path)) ? undefined : path;
}

/** Whether a 64-bit little-endian ELF file asks for a dynamic loader (has a PT_INTERP header). */
function hasInterpreter(elf: Buffer): boolean {
  const PT_INTERP = 3;
  const programHeaders = Number(elf.readBigUInt64LE(0x20));
  const entrySize = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let index = 0; index < count; index++) {
    if (elf.readUInt32LE(programHeaders + index * entrySize) === PT_INTERP) return true;
  }
  return false;
}

interface ArchiveEntry {
  name: string;
  mode: number;
  data?: Buffer;
  device?: readonly [major: number, minor: number];
}

/** A cpio archive in the "newc" format the kernel unpacks an initramfs from. */
function newcArchive(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (length: number) => Buffer.alloc((4 - (length % 4)) % 4);
  [...entries, { name: 'TRAILER!!!', mode: 0 }].forEach((entry: ArchiveEntry, index) => {
    const data = entry.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${entry.name}\0`);
    const [major, minor] = entry.device ?? [0, 0];
    const isTrailer = index === entries.length;
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [isTrailer ? 0 : index + 1, entry.mode, 0, 0, 1, 0, data.length, 0, 0, major, minor, name.length, 0];
    const header = Buffer.from(`070701${fields.map((field) => field.toString(16).padStart(8, '0')).join('')}`);
    parts.push(header, name, pad(header.length + name.length), data, pad(data.length));
  });
  return Buffer.concat(parts);
}
