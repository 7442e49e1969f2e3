/**
 * The demo page in a real browser (Debian's Chromium, driven by playwright-core): pick an
 * image, see the edge preview over it, read the legend and latency, move the opacity slider,
 * run a full-resolution job, and check the phone layout. Screenshots go to test/artifacts/.
 *
 * The page is served by the run's shared system (test/fixtures/system.ts: `scripts/start.ts`,
 * jobs included). Every part runs: a system that does not start fails the suite, it never
 * skips the job part.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, ROOT, sharedSystem } from "../fixtures/system.ts";

const SAMPLE = path.join(ROOT, "worker/demo/public/samples/0016E5_07959.jpg");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Waits for a mask <img> to be loaded and its legend filled with 11 classes. */
async function waitForMask(page: Page, mask: string, legend: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    ([m, l]) => {
      const img = document.querySelector<HTMLImageElement>(m);
      const error = document.getElementById("error");
      if (error && !error.hidden) throw new Error(`the page shows an error: ${error.textContent}`);
      return !!img?.complete && img.naturalWidth > 0 && document.querySelectorAll(`${l} li`).length === 11;
    },
    [mask, legend] as const,
    { timeout },
  );
}

async function legendShares(page: Page, legend: string): Promise<{ fractions: number[]; shown: number[] }> {
  return page.$$eval(`${legend} li`, (items) => ({
    fractions: items.map((li) => Number((li as HTMLElement).dataset.fraction)),
    shown: items.map((li) =>
      Number.parseFloat(li.querySelector(".share")?.textContent?.replace("<", "") ?? "NaN"),
    ),
  }));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Console reports of anything the page's Content-Security-Policy blocked. */
const cspViolations: string[] = [];
const started = performance.now();

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  base = (await sharedSystem()).api.base;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  console.log(
    `[demo test] system at ${base}, browser up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  console.log(`[demo test] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 30_000);

describe("demo page", () => {
  it("shows the edge preview over the photo, with legend, latency and opacity", async () => {
    await page.goto(base);
    await expect(page.title()).resolves.toContain("FCN");
    // The file input is a real, labelled, keyboard-reachable control.
    const input = page.locator("#file-input");
    await expect(input.evaluate((e) => (e as HTMLInputElement).labels?.length ?? 0)).resolves.toBe(1);
    await input.setInputFiles(SAMPLE);
    await waitForMask(page, "#preview-mask", "#legend");

    const size = await page.$eval("#preview-mask", (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    expect(size).toEqual([480, 360]);
    // The overlay covers the photo exactly.
    const [photoBox, maskBox] = await Promise.all([
      page.locator("#photo").boundingBox(),
      page.locator("#preview-mask").boundingBox(),
    ]);
    expect(maskBox).toEqual(photoBox);

    const { fractions, shown } = await legendShares(page, "#legend");
    expect(fractions).toHaveLength(11);
    expect(sum(fractions)).toBeCloseTo(1, 3);
    expect(Math.abs(sum(shown) - 100)).toBeLessThan(1);
    expect(Math.max(...fractions)).toBeLessThan(1); // a street scene is not one class

    const latency = await page.locator("#preview-latency").textContent();
    expect(latency).toMatch(/Round trip \d+ ms/);
    expect(latency).toMatch(/model inference \d+ ms/);

    const opacity = () => page.$eval("#preview-mask", (e) => Number(getComputedStyle(e).opacity));
    expect(await opacity()).toBeCloseTo(0.6, 5);
    await page.locator("#opacity").focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft");
    expect(await opacity()).toBeCloseTo(0.4, 5);
    await expect(page.locator("#opacity-value").textContent()).resolves.toBe("40%");
    for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowRight");

    await expect(page.locator("#run-job").isEnabled()).resolves.toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "demo-desktop.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("runs a full-resolution FCN-8s job and shows its mask beside the preview", async () => {
    const jobReads: string[] = [];
    const onRequest = (request: { method(): string; url(): string }) => {
      const path = new URL(request.url()).pathname;
      // reads of the job itself, not of its outputs (the mask loads through its signed link)
      if (request.method() === "GET" && path.startsWith("/v1/jobs/") && !path.includes("/outputs/"))
        jobReads.push(path);
    };
    page.on("request", onRequest);
    await page.locator("#run-job").click();
    const states = new Set<string>();
    const deadline = Date.now() + 120_000;
    let state = "";
    while (Date.now() < deadline) {
      state = (await page.locator("#job-status").getAttribute("data-state")) ?? "";
      states.add(state);
      if (state === "succeeded" || state === "failed" || state === "error") break;
      await page.waitForTimeout(200);
    }
    const status = await page.locator("#job-status").textContent();
    expect(state, `job status: ${status}`).toBe("succeeded");
    expect([...states].some((s) => s === "queued" || s === "running" || s === "submitting")).toBe(true);
    expect(status).toMatch(/Done in \d+\.\d s/);
    // followed through its event stream, not polled (issue #17)
    page.off("request", onRequest);
    expect(jobReads.length).toBeGreaterThan(0);
    expect(jobReads.filter((path) => !/^\/v1\/jobs\/job_[\w-]+\/events$/.test(path))).toEqual([]);
    await expect(
      page.locator("#job-progress").evaluate((p) => (p as HTMLProgressElement).value),
    ).resolves.toBe(3);

    await waitForMask(page, "#job-mask", "#job-legend");
    const size = await page.$eval("#job-mask", (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    expect(size).toEqual([480, 360]);
    await expect(page.locator("#job-mask").isVisible()).resolves.toBe(true);
    const { fractions } = await legendShares(page, "#job-legend");
    expect(sum(fractions)).toBeCloseTo(1, 2);
    await expect(page.locator("#job-latency").textContent()).resolves.toMatch(/Total \d+\.\d s/);

    // Beside the preview on a desktop screen.
    const [previewBox, jobBox] = await Promise.all([
      page.locator("#preview-mask").boundingBox(),
      page.locator("#job-mask").boundingBox(),
    ]);
    expect(jobBox!.x).toBeGreaterThan(previewBox!.x + previewBox!.width - 1);
    await page.screenshot({ path: path.join(ARTIFACTS, "demo-desktop-job.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it("fits a phone screen: stacked, no horizontal scroll, controls visible", async () => {
    const context = await browser.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const phone = await context.newPage();
      await phone.goto(base);
      // The sample thumbnails are buttons: pick one by keyboard.
      await phone.locator(".sample").nth(2).focus();
      await phone.keyboard.press("Enter");
      await waitForMask(phone, "#preview-mask", "#legend");
      await expect(
        phone.$eval("#preview-mask", (img) => (img as HTMLImageElement).naturalWidth),
      ).resolves.toBe(480);

      const widths = await phone.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      expect(widths.client).toBe(375);

      for (const selector of ["#file-input", ".sample >> nth=0", "#opacity", "#run-job", "#preview-mask"]) {
        const control = phone.locator(selector);
        await control.scrollIntoViewIfNeeded();
        await expect(control.isVisible(), selector).resolves.toBe(true);
        const box = await control.boundingBox();
        expect(box, selector).not.toBeNull();
        expect(box!.x, selector).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, selector).toBeLessThanOrEqual(375 + 0.5);
      }
      // Stacked: the job panel sits below the preview panel, not beside it.
      const [preview, job] = await Promise.all([
        phone.locator("#preview-heading").boundingBox(),
        phone.locator("#job-heading").boundingBox(),
      ]);
      expect(job!.y).toBeGreaterThan(preview!.y + preview!.height);
      expect(Math.abs(job!.x - preview!.x)).toBeLessThan(1);
      await phone.evaluate(() => window.scrollTo(0, 0));
      await phone.screenshot({ path: path.join(ARTIFACTS, "demo-phone.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it("shows the API's error answer clearly", async () => {
    await page.locator("#file-input").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("not an image"),
    });
    const error = page.locator("#error");
    await error.waitFor({ state: "visible", timeout: 30_000 });
    await expect(error.getAttribute("role")).resolves.toBe("alert");
    const code = await error.getAttribute("data-code");
    expect(code).toMatch(/^[a-z_]+$/);
    expect(code).not.toBe("client_error");
    await expect(error.textContent()).resolves.toMatch(/\(\w+, HTTP 4\d\d\)/);
    await expect(page.locator("#run-job").isDisabled()).resolves.toBe(true);
    // A good image clears it again.
    await page.locator(".sample").first().click();
    await waitForMask(page, "#preview-mask", "#legend");
    await expect(error.isHidden()).resolves.toBe(true);
  });

  it("is served with its security headers, and its CSP blocks nothing the page does (issue #29, finding 9)", async () => {
    const r = await fetch(base);
    expect(r.status).toBe(200);
    await r.body?.cancel();
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    // the other tests above ran the page under it: preview, legend, samples, a job's stream
    expect(cspViolations).toEqual([]);
    const script = await fetch(`${base}/app.js`);
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
    await script.body?.cancel();
  });
});
