/**
 * The numeric settings `npm start` reads from the environment (ports, the cron period). A
 * blank value is the default, as an unset one is (`PORT= npm start` used to mean port 0: a
 * random port, with every URL the parts were given pointing at :0). Anything else must be an
 * integer in range, or `npm start` names the variable and stops before starting anything.
 */
export class SettingError extends Error {}

/** `env[name]` as an integer from `min` to `max`, or `fallback` when unset or blank. */
export function intSetting(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < min || value > max) {
    throw new SettingError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

/** A TCP port `npm start` listens on or hands to a part: never 0, which would pick one at random. */
export const portSetting = (env: Record<string, string | undefined>, name: string, fallback: number) =>
  intSetting(env, name, fallback, 1, 65_535);
