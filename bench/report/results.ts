// A scenario's report: its tables printed, and written as JSON (every number, plus the machine
// and how busy it was) and as an SVG chart under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpuTicks, type MachineCpuTicks } from '../harness/proc-stats.js';
import { chartsSvg, type BarChart } from './svg-chart.js';

/** bench/results in the source tree (this file runs from dist/bench/report). */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  /** 1-minute load average when the scenario started and ended: above the core count, numbers are noisy. */
  loadStart: number;
  loadEnd: number;
  /**
   * Share of the machine's CPU time the hypervisor gave to other guests during the scenario: a
   * virtual machine on a busy host shows it under load, and every rate falls with it.
   */
  stolenShare: number | undefined;
}

export interface ScenarioReport<Row = object> {
  scenario: string;
  date: string;
  machine: MachineInfo;
  config: object;
  rows: Row[];
  tables: { title: string; markdown: string }[];
  charts: BarChart[];
  /** Targets from the issue and whether this run met them (reported, never asserted). */
  targets: { target: string; met: boolean | undefined; detail: string }[];
}

export interface WrittenReport {
  jsonFile: string;
  svgFile: string;
}

/** What a scenario returns: its report and where it was written. */
export interface ScenarioOutcome<Row = object> {
  report: ScenarioReport<Row>;
  written: WrittenReport;
}

/** The machine's CPU ticks when each report began, for its stolen share at the end. */
const ticksAtStart = new WeakMap<ScenarioReport<unknown>, MachineCpuTicks>();

/** Starts a report: records the date and how loaded the machine is. */
export function beginReport<Row>(scenario: string, config: object): ScenarioReport<Row> {
  const report: ScenarioReport<Row> = {
    scenario,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadStart: loadavg()[0]!, loadEnd: NaN, stolenShare: undefined },
    config,
    rows: [],
    tables: [],
    charts: [],
    targets: [],
  };
  const ticks = machineCpuTicks();
  if (ticks) ticksAtStart.set(report, ticks);
  return report;
}

export function finishReport(report: ScenarioReport<unknown>, outDir: string): WrittenReport {
  report.machine.loadEnd = loadavg()[0]!;
  const start = ticksAtStart.get(report);
  const end = machineCpuTicks();
  if (start && end && end.total > start.total) report.machine.stolenShare = (end.stolen - start.stolen) / (end.total - start.total);
  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, `${report.scenario}.json`);
  const svgFile = join(outDir, `${report.scenario}.svg`);
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(svgFile, chartsSvg(`${report.scenario} — ${report.date.slice(0, 10)}, ${report.machine.cpus} cores, load ${report.machine.loadStart.toFixed(1)}`, report.charts));
  return { jsonFile, svgFile };
}

export function printReport({ report, written }: ScenarioOutcome<unknown>): void {
  const { machine } = report;
  console.log(`\n## ${report.scenario} (${report.date}; ${machine.cpus}× ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadStart.toFixed(1)} → ${machine.loadEnd.toFixed(1)}${stolen(machine)})`);
  for (const table of report.tables) console.log(`\n${table.title}\n\n${table.markdown}`);
  if (report.targets.length > 0) {
    console.log('\nTargets:');
    for (const t of report.targets) console.log(`- ${t.met === undefined ? 'not measured' : t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.detail}`);
  }
  console.log(`\nwritten: ${written.jsonFile}, ${written.svgFile}`);
}

function stolen(machine: MachineInfo): string {
  return machine.stolenShare === undefined ? '' : `, ${(machine.stolenShare * 100).toFixed(0)} % of CPU time stolen by the host`;
}
