// `make demo` left attached in tmux past the kube API's 120 s watch timeout (DEMO_QUIET_SECONDS,
// default 180): only the console's own output ever reaches the pane.
import t from 'tap';
import { testDemoStaysQuiet } from '../dev/fixtures/demo-in-tmux.js';
import { settings } from './fixtures/settings.js';

testDemoStaysQuiet(t, settings.demoQuietSeconds);
