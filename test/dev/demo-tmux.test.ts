// `make demo` in a real terminal: it connects, answers, prints nothing of its own for a short
// watch, and ^] ends it with exit 0. The three-minute watch is in the reliability suite
// (test/reliability/demo-quiet.reliability.ts).
import t from 'tap';
import { testDemoStaysQuiet } from './fixtures/demo-in-tmux.js';

testDemoStaysQuiet(t, 10);
