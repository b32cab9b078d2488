// lib/web: the browser console. build.mjs bundles page/ (xterm and the page script, run in the
// browser) into dist/web at build time; mountConsolePage serves that bundle from a uWS app.
export { mountConsolePage, CONSOLE_PAGE_PATH, CONTENT_SECURITY_POLICY, type ConsolePageOptions } from './static-routes.js';
