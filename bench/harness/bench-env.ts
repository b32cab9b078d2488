// A scenario's processes for the length of one function: certificates, the stack and the load
// generators are started, handed over, and stopped afterwards whether the scenario finished
// or failed.
import { startAll } from './child.js';
import { LoadGenerators } from './load-generators.js';
import { createPki } from './pki.js';
import { BenchStack, type StackOptions } from './stack.js';

export interface BenchEnv {
  stack: BenchStack;
  generators: LoadGenerators;
}

export async function withBench<T>(
  options: Omit<StackOptions, 'pki'> & { generators: number },
  run: (env: BenchEnv) => Promise<T>,
): Promise<T> {
  const pki = await createPki();
  try {
    const [stack, generators] = (await startAll<BenchStack | LoadGenerators>([
      BenchStack.start({ ...options, pki }),
      LoadGenerators.start(options.generators),
    ])) as [BenchStack, LoadGenerators];
    try {
      return await run({ stack, generators });
    } finally {
      await generators.stop();
      await stack.stop();
    }
  } finally {
    pki.remove();
  }
}

/** Lets the processes finish tearing the last sessions down before the next measurement. */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
