/**
 * Prerequisites of the system tiers (netns, interop, UML): a test whose prerequisite is
 * missing skips on a developer's machine, but in CI (CI=true) it fails, naming what is
 * missing, so a tier can never pass by not running.
 */
export function skipUnless(ok: boolean, prerequisite: string): boolean {
  if (ok) return false;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and a system test's prerequisite is missing: ${prerequisite}`);
  }
  return true;
}
