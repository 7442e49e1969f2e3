/** Why an input was refused; the HTTP tiers map `status` straight onto the response. */
export type InputErrorCode =
  | "empty_body"
  | "unreadable_image"
  | "unsupported_media_type"
  | "payload_too_large"
  | "too_many_pixels"
  | "image_too_small"
  | "invalid_request";

const STATUS: Record<InputErrorCode, number> = {
  empty_body: 400,
  unreadable_image: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  too_many_pixels: 422,
  image_too_small: 422,
  invalid_request: 400,
};

/** A client mistake about its input: safe to show, never a server fault. */
export class InputError extends Error {
  readonly code: InputErrorCode;
  readonly status: number;
  constructor(code: InputErrorCode, message: string) {
    super(message);
    this.name = "InputError";
    this.code = code;
    this.status = STATUS[code];
  }
}
