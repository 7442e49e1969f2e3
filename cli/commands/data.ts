import { parseArgs } from "node:util";
import { CAMVID_ARCHIVE_URL, downloadCamvid, SEGNET_COMMIT } from "../data/camvid.ts";
import { camvidDir, DATA_DIR_ENV, defaultCamvidDir, hasCamvid } from "../data/location.ts";
import { ProgressBar } from "../progress.ts";
import type { Command } from "./types.ts";

export const data: Command = {
  summary: "download a dataset: `data camvid` fetches CamVid where training and evaluation read it",
  help: `Usage: npx fcn data camvid [--dir <dir>] [--url <archive>]

Downloads CamVid in the SegNet layout (train/, trainannot/, val/, valannot/, test/, testannot/,
train.txt, val.txt, test.txt, plus classes.json) from the SegNet tutorial's repository at commit
${SEGNET_COMMIT.slice(0, 12)} (about 190 MB), checks every file against the SHA-256 sums in
cli/data/camvid.sha256, and moves it into place only when all match: a corrupt or cut-short
download is refused and leaves nothing behind. The test split is there for independent
evaluation: select models on val, as the model card does.

Every loader (npx fcn eval, npm run train, the tests) reads CamVid from $${DATA_DIR_ENV} when it
is set, else from data/camvid in the repository, else from ../shared/datasets/camvid.

Options:
  --dir <dir>      where to write it (default: $${DATA_DIR_ENV}, else data/camvid, git-ignored)
  --url <archive>  a mirror of the same archive (default: ${CAMVID_ARCHIVE_URL})`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { dir: { type: "string" }, url: { type: "string" } },
    });
    if (positionals[0] !== "camvid" || positionals.length > 1)
      throw new Error("the one dataset is camvid: npx fcn data camvid [--dir <dir>]");
    const dir = values.dir ?? (process.env[DATA_DIR_ENV]?.trim() ? camvidDir() : defaultCamvidDir());
    if (hasCamvid(dir)) {
      console.log(`CamVid is already in ${dir}`);
      return 0;
    }
    let bar: ProgressBar | undefined;
    const { files } = await downloadCamvid({
      dir,
      url: values.url,
      onProgress: (received, total) => {
        if (total === undefined) return;
        bar ??= new ProgressBar(Math.ceil(total / 2 ** 20), "download (MiB)");
        bar.tick(Math.floor(received / 2 ** 20));
      },
    });
    console.log(`CamVid: ${files} files checked and written to ${dir}`);
    if (values.dir && camvidDir() !== dir)
      console.log(`the loaders read ${camvidDir()}: set ${DATA_DIR_ENV}=${dir} to use this copy`);
    return 0;
  },
};
