import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { camvidCandidates, camvidDir, DATA_DIR_ENV, defaultCamvidDir, hasCamvid } from "./location.ts";

const REPO = resolve(import.meta.dirname, "../..");

describe("where CamVid is read from", () => {
  it("looks in FCN_DATA_DIR, then data/camvid in the repository, then ../shared/datasets/camvid", () => {
    expect(DATA_DIR_ENV).toBe("FCN_DATA_DIR");
    expect(camvidCandidates()).toEqual([
      resolve(REPO, "data/camvid"),
      resolve(REPO, "../shared/datasets/camvid"),
    ]);
    expect(defaultCamvidDir()).toBe(resolve(REPO, "data/camvid"));
  });

  it("takes FCN_DATA_DIR as given, present or not, and ignores it when blank", () => {
    expect(camvidDir({ FCN_DATA_DIR: "/data/camvid-copy" })).toBe("/data/camvid-copy");
    expect(camvidDir({ FCN_DATA_DIR: "relative/camvid" })).toBe(resolve("relative/camvid"));
    expect(camvidDir({ FCN_DATA_DIR: " " })).toBe(camvidDir({}));
  });

  it("without FCN_DATA_DIR, takes the first candidate that holds train.txt, else data/camvid", () => {
    const found = camvidCandidates().find(hasCamvid);
    expect(camvidDir({})).toBe(found ?? defaultCamvidDir());
  });
});
