/**
 * The Worker's request parsers (worker/images/read-body.ts, worker/jobs/options.ts,
 * worker/jobs/input.ts), its image_url fetch (worker/images/fetch-url.ts) and its ApiError, loaded
 * for Node tests. They use Web APIs only and run in Node unchanged, but their types belong to
 * the Worker's program (worker/tsconfig.json: Env, D1Database, the workers' BodyInit), which
 * the root type-check does not load. So they are imported through a computed specifier and
 * typed here with the signatures these tests use; `tsc -p worker/tsconfig.json` checks them.
 */
export interface ImageUpload {
  bytes: Uint8Array;
  fields: Record<string, string>;
}

export interface JobOptions {
  mode: string;
  outputs: string[];
  webhookUrl: string | null;
  webhookEvents: string[];
}

const load = (relative: string): Promise<unknown> => import(new URL(relative, import.meta.url).href);

export const { readImageUpload } = (await load("../../worker/images/read-body.ts")) as {
  readImageUpload: (request: Request, limits: { maxBytes: number }) => Promise<ImageUpload>;
};

export const { parseJobOptions, optionFieldsFromJson } = (await load("../../worker/jobs/options.ts")) as {
  parseJobOptions: (fields: Record<string, string>) => JobOptions;
  optionFieldsFromJson: (body: Record<string, unknown>, skip: string[]) => Record<string, string>;
};

export const { readJsonObject, imageUrlOf, checkJobImage } = (await load("../../worker/jobs/input.ts")) as {
  checkJobImage: (bytes: Uint8Array) => unknown;
  readJsonObject: (request: Request) => Promise<Record<string, unknown>>;
  imageUrlOf: (value: unknown) => string;
};

export const { fetchImageUrl } = (await load("../../worker/images/fetch-url.ts")) as {
  fetchImageUrl: (raw: string, policy: { development: boolean }, maxBytes: number) => Promise<Uint8Array>;
};

/** worker/errors/index.ts: an error the Worker answers with its own status and code. */
export const { ApiError } = (await load("../../worker/errors/index.ts")) as {
  ApiError: new (...args: never[]) => Error & { status: number; code: string };
};
