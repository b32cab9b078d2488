// Prometheus text metrics: a few counters, gauges and latency histograms, kept by hand
// because the set is small and the exposition format is simple.
import type { SessionLimits } from './limits.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
  private readonly counts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const index = LATENCY_BUCKETS.findIndex((bound) => seconds <= bound);
    if (index >= 0) this.counts[index]!++;
  }

  render(name: string, help: string): string {
    let cumulative = 0;
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    LATENCY_BUCKETS.forEach((bound, i) => {
      cumulative += this.counts[i]!;
      lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`);
    });
    lines.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class GatewayMetrics {
  sessionsActive = 0;
  readonly sessionsTotal = new Map<string, number>();
  bytesFromClients = 0;
  bytesToClients = 0;
  readonly lookupSeconds = new Histogram();
  readonly openSeconds = new Histogram();
  /** Time client output waited for --max-bytes-per-second, summed over connections. */
  throttledSeconds = 0;

  throttled(ms: number): void {
    this.throttledSeconds += ms / 1000;
  }

  sessionEnded(outcome: string, bytesIn: number, bytesOut: number): void {
    this.sessionsTotal.set(outcome, (this.sessionsTotal.get(outcome) ?? 0) + 1);
    this.bytesFromClients += bytesIn;
    this.bytesToClients += bytesOut;
  }

  /** A request refused before the upgrade still counts, by its outcome. */
  refused(outcome: string): void {
    this.sessionsTotal.set(outcome, (this.sessionsTotal.get(outcome) ?? 0) + 1);
  }

  render(links: Map<string, number>, limits?: SessionLimits): string {
    const parts = [
      '# HELP ironcore_console_sessions_active Console sessions open now.',
      '# TYPE ironcore_console_sessions_active gauge',
      `ironcore_console_sessions_active ${this.sessionsActive}`,
      '# HELP ironcore_console_sessions_total Console sessions and refused opens, by outcome.',
      '# TYPE ironcore_console_sessions_total counter',
      ...[...this.sessionsTotal].map(([outcome, n]) => `ironcore_console_sessions_total{outcome="${outcome}"} ${n}`),
      '# HELP ironcore_console_bytes_total Console bytes forwarded, by direction.',
      '# TYPE ironcore_console_bytes_total counter',
      `ironcore_console_bytes_total{direction="in"} ${this.bytesFromClients}`,
      `ironcore_console_bytes_total{direction="out"} ${this.bytesToClients}`,
      this.lookupSeconds.render('ironcore_console_lookup_seconds', 'Time to authenticate, authorize and look the machine up.'),
      this.openSeconds.render('ironcore_console_open_seconds', 'Time from request to an open upstream session.'),
      '# HELP ironcore_console_provider_links Links open to each provider.',
      '# TYPE ironcore_console_provider_links gauge',
      ...[...links].map(([provider, n]) => `ironcore_console_provider_links{provider="${provider}"} ${n}`),
      '# HELP ironcore_console_throttled_seconds_total Time client output waited for the per-connection bandwidth cap.',
      '# TYPE ironcore_console_throttled_seconds_total counter',
      `ironcore_console_throttled_seconds_total ${this.throttledSeconds}`,
    ];
    if (limits) {
      const configured = Object.entries(limits.configured);
      parts.push(
        '# HELP ironcore_console_limit Configured admission limits (0: none).',
        '# TYPE ironcore_console_limit gauge',
        ...configured.map(([limit, value]) => `ironcore_console_limit{limit="${limit}"} ${value}`),
        '# HELP ironcore_console_limit_refusals_total Opens refused with 429, by the limit they hit.',
        '# TYPE ironcore_console_limit_refusals_total counter',
        ...configured.map(([limit]) => `ironcore_console_limit_refusals_total{limit="${limit}"} ${limits.refusals.get(limit as keyof typeof limits.configured) ?? 0}`),
      );
    }
    return parts.join('\n') + '\n';
  }
}
