import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { intSetting, portSetting, SettingError } from "./start-settings.ts";

describe("npm start's settings", () => {
  it("take a blank value as the default, like an unset one", () => {
    expect(portSetting({}, "PORT", 8787)).toBe(8787);
    expect(portSetting({ PORT: "" }, "PORT", 8787)).toBe(8787);
    expect(portSetting({ PORT: "  " }, "PORT", 8787)).toBe(8787);
    expect(portSetting({ PORT: " 9000 " }, "PORT", 8787)).toBe(9000);
  });

  it("refuse what is not an integer in range, naming the variable", () => {
    for (const value of ["0", "65536", "80.5", "abc", "-1", "0x50"]) {
      expect(() => portSetting({ PORT: value }, "PORT", 8787)).toThrow(SettingError);
    }
    expect(() => portSetting({ PORT: "abc" }, "PORT", 8787)).toThrow(
      /^PORT must be an integer from 1 to 65535 \(got "abc"\)$/,
    );
    expect(intSetting({ CRON: "1" }, "CRON", 60, 1, 3600)).toBe(1);
  });

  it("stop `npm start` before it starts anything, with the reason", () => {
    const run = spawnSync(process.execPath, ["scripts/start.ts"], {
      env: { ...process.env, PORT: "http", FCN_STATE_DIR: "/nonexistent/never-created" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('PORT must be an integer from 1 to 65535 (got "http")');
    expect(run.stdout).not.toContain("[sqs]");
  });
});
