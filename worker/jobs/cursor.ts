/**
 * The opaque `cursor` of GET /v1/jobs: base64 of JSON `[created_at, id]` of the last job on
 * the previous page. Anything else a client sends is a 400, never a query with bad types.
 */
import { z } from "zod";
import { ApiError } from "../errors/index.ts";

const cursorSchema = z.tuple([z.iso.datetime(), z.string().regex(/^job_[A-Za-z0-9_-]{1,100}$/)]);

export type Cursor = z.infer<typeof cursorSchema>;

export const encodeCursor = (createdAt: string, id: string): string => btoa(JSON.stringify([createdAt, id]));

/** The position a cursor names; throws 400 `invalid_request` for anything malformed. */
export function decodeCursor(raw: string): Cursor {
  let json: unknown;
  try {
    json = JSON.parse(atob(raw));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

const invalid = () =>
  new ApiError(400, "invalid_request", "cursor is not valid: pass back a next_cursor as it was given");
