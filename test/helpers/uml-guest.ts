// One UML scenario run for the host-side tests, retried once when the guest itself hung.
//
// A guest that hangs (the host's time limit killed it, or a guest command ran past its own
// limit: see test/uml/guest/lib.mjs `sh`) says nothing about keepalived-ts, and on a loaded
// CI machine a user-mode kernel can stall for seconds. Such a run is printed with its
// diagnostics (diag.txt, the console) and run once more. A run that finished and recorded a
// failed step is never retried: that is a result.
import { runUml, type UmlOptions, type UmlRun } from '../../src/lab/uml.js';

const hung = (run: UmlRun): boolean =>
  run.timedOut || /timed out after \d+ ms/.test(run.files.get('steps.json') ?? '') || /still running after/.test(run.files.get('diag.txt') ?? '');

export function describeRun(run: UmlRun, extra = ''): string {
  return [
    `timed out: ${String(run.timedOut)}, rc ${run.rc}`,
    `guest log:\n${run.log}`,
    `diag:\n${run.files.get('diag.txt') ?? '(none)'}`,
    `console:\n${run.console.slice(-3000)}`,
    extra,
  ].join('\n');
}

export async function runGuestScenario(opts: UmlOptions, label: string): Promise<UmlRun> {
  const first = await runUml(opts);
  if (!hung(first)) return first;
  console.warn(`${label}: the guest hung; running it once more. First run:\n${describeRun(first, `steps:\n${first.files.get('steps.json') ?? ''}`)}`);
  return runUml(opts);
}
