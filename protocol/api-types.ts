/**
 * Generated from protocol/openapi.json by `npm run gen:client`: do not edit.
 * The paths, operations and schemas of the edge API, for openapi-fetch.
 */

export interface paths {
    "/v1/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Health check */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Models served at the edge */
        get: operations["listModels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Segment an image now, at low resolution
         * @description Runs the int8 edge model in the Worker and answers the mask at the input's size (after EXIF orientation). Send the image as the raw body or as the `image` field of multipart/form-data. Limits: 10 MiB. A baseline or progressive JPEG (greyscale or colour) at least 2560x1920 is decoded at 1/8 scale from its DC coefficients, which is all a 320x240 preview needs: such JPEGs may have up to 64 megapixels (16384 per side), so 12 and 48 MP phone photos are served. A HEIC is decoded to YCbCr and averaged down to what the preview needs: a grid HEIC (as iPhones store photos, in 512x512 tiles) one tile at a time, up to the same 64 megapixels, so 12, 24 and 48 MP iPhone photos are served; any other HEIC whole, up to about 15 MP. Every other image is decoded whole: 8 megapixels, 8192 pixels per side, and what its decoder needs must fit the Worker's memory: 3000x2000 (6 MP) fits in every common coding (PNG, lossy WebP, HEIC); progressive 4:4:4 JPEGs below 2560x1920 and lossless or alpha WebPs fit at about 4 to 5 MP, AVIF at about 4 MP. A larger image is refused with 422 `too_many_pixels`, whose message says how many megapixels that kind of image may have: downscale it, or use POST /v1/jobs for full-size images. No key is needed: anonymous previews are limited to 20 per 60 s per client address; with an API key, 120 per 60 s per key (429 rate_limited with Retry-After beyond).
         */
        post: operations["preview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/outputs/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download an output (signed link)
         * @description Use the `<output>_url` links (`mask_url`, `rle_url`, ...) of a succeeded job as given: they are signed, need no API key, and expire after 15 minutes (GET the job again for fresh ones).
         */
        get: operations["getJobOutput"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List your jobs, newest first */
        get: operations["listJobs"];
        put?: never;
        /**
         * Submit a full-resolution job
         * @description Stores the image (uploaded as multipart/form-data, or fetched from `image_url` in a JSON body) and queues it for the GPU tier; poll GET /v1/jobs/{id}, ask for a webhook, or send `Prefer: wait=N` to have the answer held until the job ends (at most N seconds). A multipart form has one `image` part; a field given twice is 400, except the lists `outputs` and `webhook_events`, whose repeated values all count. Rate-limited per key (60 per minute by default); a key may have 5 `Prefer: wait` requests held at once (429 beyond, nothing stored).
         */
        post: operations["createJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a job
         * @description A succeeded job carries signed links to its outputs, valid for 15 minutes.
         */
        get: operations["getJob"];
        put?: never;
        post?: never;
        /**
         * Cancel a queued job, or delete a finished job's data
         * @description A queued job is canceled; a final job (succeeded, failed, canceled) keeps its status. Either way its stored input and outputs are deleted at once (otherwise 7 days after it became final, see `expires_at`) and the job stays readable. A running job cannot be stopped: 409, delete it once it has finished. Repeating the call is harmless.
         */
        delete: operations["cancelJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow a job as Server-Sent Events
         * @description A `text/event-stream`: the first event is the job as it stands (`status`), then an event on every change, `status` when the status changed and `progress` when only `progress` moved; each event's `data` is the job as GET /v1/jobs/{id} returns it. The job is read about every 1 s; a comment line (`: keep-alive`) comes every 15 s of quiet. The stream ends after a final status (succeeded, failed, canceled), at the first read after the key is revoked (a reconnect then gets 401), and after at most 5 minutes: reconnect then (its first event tells where the job is). Authenticated like GET /v1/jobs/{id} (an `Authorization` header, so browsers read it with fetch, not EventSource). A key may hold 10 streams open at once: one more is 429 rate_limited (Retry-After).
         */
        get: operations["streamJobEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Webhook delivery attempts of a job */
        get: operations["listJobDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/deliveries/{delivery_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a webhook again
         * @description Queues the event of that delivery record once more, signed afresh, with the same `webhook-id` (a receiver that processed it already can tell). It is sent even if it was delivered before, and retried like the first delivery; its attempts appear in GET /v1/jobs/{id}/deliveries, numbered after the earlier ones. The payload is the job as it is now. At most 20 redeliveries a minute per key: each is a request to a receiver.
         */
        post: operations["redeliverJobWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit up to 100 images as one batch
         * @description Up to 100 images (the multipart field `image` repeated, at most 32 MiB together; or a JSON body with `images: [{ image_url }]`), with options shared by every item. Every item is checked before any is stored: one bad item refuses the whole batch, naming its index. Each item becomes a job (GET /v1/jobs/{id}); follow them together with GET /v1/batches/{id}, or the `batch.completed` webhook. One Idempotency-Key covers the batch. image_urls are fetched as one unit: each distinct URL once, at most 4 at a time and 2 to one host, at most 50 redirects for the whole batch, all within 30 s; the first item that fails stops the others (422 image_url_unreachable, naming it).
         */
        post: operations["createBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a batch: its status, counts per job status, and items in order */
        get: operations["getBatch"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Delivery attempts of a batch's batch.completed webhook
         * @description Every attempt, retried with backoff like a job's, and a `dead_lettered` record if every retry failed. The items' own job webhooks are listed on each job (GET /v1/jobs/{id}/deliveries).
         */
        get: operations["listBatchDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API keys */
        get: operations["listKeys"];
        put?: never;
        /**
         * Create an API key
         * @description The key and its webhook secret are shown only in this answer.
         */
        post: operations["createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key */
        delete: operations["revokeKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/demo/key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A fresh API key for the demo page (development only) */
        get: operations["getDemoKey"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/jobs/{id}/input": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a job's input (GPU tier)
         * @description Signed URL from the job message (`input.url`).
         */
        get: operations["getJobInput"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/jobs/{id}/outputs/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Write a job's output, or one part of it (GPU tier)
         * @description Signed URL from the job message (`outputs[name].url`). Without `upload_id`: the whole output, up to 64 MiB. With `upload_id` and `part_number`: one part of a multipart upload (every part but the last of one size, at least 5 MiB, at most 64 MiB). The body needs a Content-Length: it is streamed into storage.
         */
        put: operations["putJobOutput"];
        /**
         * Start or complete a multipart output upload (GPU tier)
         * @description For outputs over one body (the probabilities of large images). The output's signed URL, signed for PUT, with `uploads` starts an upload; with `upload_id` and the list of parts it completes it.
         */
        post: operations["postJobOutputUpload"];
        /** Abort a multipart output upload (GPU tier) */
        delete: operations["abortJobOutputUpload"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/jobs/{id}/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Report a job's progress or result (GPU tier)
         * @description Signed with Standard Webhooks and CALLBACK_SECRET (see the headers). 409 `already_completed` means the job is done: the GPU tier treats it as success. A `progress` report that would move the job back (an earlier stage or a lower fraction), or arrives while it is not running, is answered 200 and ignored.
         */
        post: operations["postJobCallback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document as a web page (Swagger UI) */
        get: operations["getDocs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "job.started": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * job.started: the GPU tier started the job (`data` is the job as it is at delivery)
         * @description POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.
         */
        post: operations["webhook_job_started"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "job.succeeded": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * job.succeeded: the job finished with a result
         * @description POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.
         */
        post: operations["webhook_job_succeeded"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "job.failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * job.failed: the job failed (see `data.error`)
         * @description POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.
         */
        post: operations["webhook_job_failed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "job.canceled": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * job.canceled: the job was canceled: DELETE while queued, or its Cancel-After passed (see `data.error`)
         * @description POSTed to the job's `webhook_url` when it subscribed to this event. Signed per Standard Webhooks with the API key's `webhook_secret`; verify with any Standard Webhooks library. Redirects are followed (3 at most, each target checked); non-2xx answers and timeouts (10 s) are retried with backoff.
         */
        post: operations["webhook_job_canceled"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "batch.completed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * batch.completed: every item of the batch has ended
         * @description POSTed once to the batch's `webhook_url` when its last item's job ends (succeeded, failed or canceled), if the batch subscribed to it (the default for batches); `data` is the batch. Signed and retried as the job events.
         */
        post: operations["webhook_batch_completed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /** @description The body of a webhook delivery. */
        WebhookPayload: {
            /** @enum {string} */
            type: "job.started" | "job.succeeded" | "job.failed" | "job.canceled";
            /** Format: date-time */
            timestamp: string;
            data: components["schemas"]["Job"];
        };
        /** @description A segmentation job as its owner sees it (also the `data` of a webhook). */
        Job: {
            /** @description `job_...` */
            id: string;
            /** @enum {string} */
            object: "job";
            /**
             * @description queued -> running -> succeeded | failed. A job stuck in running past its deadline goes back to queued (at most 3 starts); only queued jobs can be canceled, except by their own `Cancel-After`.
             * @enum {string}
             */
            status: "queued" | "running" | "succeeded" | "failed" | "canceled";
            /** @enum {string} */
            mode: "learned" | "shift-and-stitch";
            /** @enum {string} */
            quality: "standard" | "high";
            outputs: ("mask" | "probabilities" | "rle" | "overlay")[];
            input: {
                content_type: string;
                bytes: number;
                width: number;
                height: number;
            };
            webhook: {
                url: string;
                events: ("job.started" | "job.succeeded" | "job.failed" | "job.canceled")[];
            } | null;
            /** @description how many times the GPU tier started the job */
            attempts: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at: string | null;
            /** Format: date-time */
            finished_at: string | null;
            /**
             * Format: date-time
             * @description when the stored input and outputs are deleted (7 days after the job became final, or when it was deleted with DELETE); null until then. The job itself stays readable, with `result` null once they are gone
             */
            expires_at: string | null;
            /**
             * Format: date-time
             * @description the deadline asked for with `Cancel-After` (or `deadline_s`): not finished by then, the job is canceled with the error `deadline_exceeded`; null without one
             */
            cancel_after_at: string | null;
            /** @description the batch (`batch_...`, POST /v1/batches) the job is an item of; null for a job submitted alone */
            batch_id: string | null;
            /** @description the job's index among its batch's items (its submission order); null without a batch */
            batch_index: number | null;
            progress: components["schemas"]["JobProgress"];
            /** @description why a failed job failed (e.g. `not_started`), or why a canceled one was: `deadline_exceeded` when its Cancel-After passed */
            error: {
                code: string;
                message: string;
            } | null;
            /** @description set once the job has succeeded */
            result: {
                model: string;
                width: number;
                height: number;
                /** @description share of the mask's pixels per class, as in the preview's answer */
                classes: {
                    id: number;
                    name: string;
                    fraction: number;
                }[];
                /** @description deprecated: the same shares by class id, without names (use `classes`) */
                class_fractions: number[];
                /** @enum {string} */
                provider: "cuda" | "cpu";
                timings_ms: {
                    queue_wait: number;
                    download: number;
                    decode: number;
                    inference: number;
                    upload: number;
                    total: number;
                };
                /**
                 * Format: uri
                 * @description signed link to the mask (palette PNG, pixel value = class id)
                 */
                mask_url: string;
                /**
                 * Format: uri
                 * @description signed link to uint8 (C, H, W) probabilities, when requested
                 */
                probabilities_url?: string;
                /**
                 * Format: uri
                 * @description signed link to the per-class masks as COCO RLE (JSON `{ size: [height, width], classes: [{ id, name, counts }] }`, compressed counts, column-major: pycocotools' `decode` reads `{ size, counts }`), when requested
                 */
                rle_url?: string;
                /**
                 * Format: uri
                 * @description signed link to a JPEG of the image blended with the class colours, when requested
                 */
                overlay_url?: string;
                /**
                 * Format: date-time
                 * @description when the signed links stop working (15 minutes)
                 */
                expires_at: string;
            } | null;
        };
        /** @description null while queued and until the GPU tier first reports; `{ stage: uploading, fraction: 1 }` once succeeded; where the job stopped once failed or canceled. GET /v1/jobs/{id}/events streams every change */
        JobProgress: {
            /** @enum {string} */
            stage: "downloading" | "inferring" | "encoding" | "uploading";
            fraction: number;
        } | null;
        /** @description The body of a batch.completed delivery. */
        BatchWebhookPayload: {
            /** @enum {string} */
            type: "batch.completed";
            /** Format: date-time */
            timestamp: string;
            data: components["schemas"]["Batch"];
        };
        /** @description A batch of jobs with shared options (also the `data` of batch.completed). */
        Batch: {
            /** @description `batch_...` */
            id: string;
            /** @enum {string} */
            object: "batch";
            /**
             * @description `running` until every item's job has ended
             * @enum {string}
             */
            status: "running" | "completed";
            /** @description how many images were submitted */
            size: number;
            /** @description items per job status */
            counts: {
                queued: number;
                running: number;
                succeeded: number;
                failed: number;
                canceled: number;
            };
            /** @description in submission order */
            items: {
                /** @description position in the submission, from 0 */
                index: number;
                /** @description the item's job (GET /v1/jobs/{id} for all of it) */
                job_id: string;
                /**
                 * @description queued -> running -> succeeded | failed. A job stuck in running past its deadline goes back to queued (at most 3 starts); only queued jobs can be canceled, except by their own `Cancel-After`.
                 * @enum {string}
                 */
                status: "queued" | "running" | "succeeded" | "failed" | "canceled";
                /** @description set once the job has succeeded */
                result: {
                    model: string;
                    width: number;
                    height: number;
                    /** @description share of the mask's pixels per class, as in the preview's answer */
                    classes: {
                        id: number;
                        name: string;
                        fraction: number;
                    }[];
                    /** @description deprecated: the same shares by class id, without names (use `classes`) */
                    class_fractions: number[];
                    /** @enum {string} */
                    provider: "cuda" | "cpu";
                    timings_ms: {
                        queue_wait: number;
                        download: number;
                        decode: number;
                        inference: number;
                        upload: number;
                        total: number;
                    };
                    /**
                     * Format: uri
                     * @description signed link to the mask (palette PNG, pixel value = class id)
                     */
                    mask_url: string;
                    /**
                     * Format: uri
                     * @description signed link to uint8 (C, H, W) probabilities, when requested
                     */
                    probabilities_url?: string;
                    /**
                     * Format: uri
                     * @description signed link to the per-class masks as COCO RLE (JSON `{ size: [height, width], classes: [{ id, name, counts }] }`, compressed counts, column-major: pycocotools' `decode` reads `{ size, counts }`), when requested
                     */
                    rle_url?: string;
                    /**
                     * Format: uri
                     * @description signed link to a JPEG of the image blended with the class colours, when requested
                     */
                    overlay_url?: string;
                    /**
                     * Format: date-time
                     * @description when the signed links stop working (15 minutes)
                     */
                    expires_at: string;
                } | null;
                /**
                 * Format: date-time
                 * @description when the stored input and outputs are deleted (7 days after the job became final, or when it was deleted with DELETE); null until then. The job itself stays readable, with `result` null once they are gone
                 */
                expires_at: string | null;
            }[];
            webhook: {
                url: string;
                events: ("job.started" | "job.succeeded" | "job.failed" | "job.canceled" | "batch.completed")[];
            } | null;
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date-time
             * @description when the last item ended (batch.completed was sent)
             */
            completed_at: string | null;
            /**
             * Format: date-time
             * @description when the last item's stored data is deleted (each item's own time is in `items`); null while running
             */
            expires_at: string | null;
        };
        /** @description multipart/form-data body of POST /v1/preview (other fields are ignored). */
        PreviewForm: {
            /**
             * Format: binary
             * @description the image: JPEG, PNG, WebP, HEIC or AVIF, up to 10 MiB and 8 megapixels (8192 per side), fewer for the codings whose decoders need more memory
             */
            image: string;
        };
        /** @description multipart/form-data fields of POST /v1/jobs. Unknown fields are refused with invalid_request. */
        JobCreateForm: {
            /**
             * @description `learned`: the network's learned upsampling (FCN-8s). `shift-and-stitch`: dense predictions from the coarse scores of shifted inputs (several times slower).
             * @default learned
             * @enum {string}
             */
            mode: "learned" | "shift-and-stitch";
            /**
             * @description `standard`: one pass of the network. `high`: test-time augmentation, the image mirrored and at three scales, scores averaged before the argmax (more accurate, about 6x the inference time; see the model card), through every model of the GPU tier's ensemble where one is configured (each model adds as much time again).
             * @default standard
             * @enum {string}
             */
            quality: "standard" | "high";
            /**
             * @description Outputs to produce, comma- or space-separated ("a,b", "a b") or a JSON array of strings, from: mask, probabilities, rle, overlay. `mask` is always produced (default: mask).
             * @example mask,probabilities
             */
            outputs?: string;
            /**
             * @description Events to deliver to `webhook_url`, comma- or space-separated ("a,b", "a b") or a JSON array of strings, from: job.started, job.succeeded, job.failed, job.canceled (default: job.succeeded, job.failed).
             * @example job.succeeded
             */
            webhook_events?: string;
            /**
             * Format: uri
             * @description Where to POST Standard Webhooks when the job ends (http or https; private and reserved addresses are refused with invalid_webhook_url). At most 2048 characters.
             */
            webhook_url?: string;
            /** @description The same as the `Cancel-After` header: seconds (1..86400) the job may take before it is canceled. */
            deadline_s?: number;
            /**
             * Format: binary
             * @description the image: JPEG, PNG, WebP, HEIC or AVIF, up to 25 MiB and 40 megapixels (16384 per side)
             */
            image: string;
        };
        /** @description application/json body of POST /v1/jobs: the image by URL. The options mean what the form fields mean. */
        JobCreateJson: {
            /**
             * Format: uri
             * @description Where the edge fetches the image (JPEG, PNG, WebP, HEIC or AVIF, the same limits as an upload): https, a public address (private, link-local and loopback targets are refused with unsafe_image_url, also behind a redirect); at most 3 redirects and 10 s.
             */
            image_url: string;
            /** @enum {string} */
            mode?: "learned" | "shift-and-stitch";
            /** @enum {string} */
            quality?: "standard" | "high";
            /** @description as the form field, or an array */
            outputs?: ("mask" | "probabilities" | "rle" | "overlay")[] | string;
            /** Format: uri */
            webhook_url?: string;
            /** @description as the form field, or an array */
            webhook_events?: string[] | string;
            deadline_s?: number;
        };
        /** @description multipart/form-data fields of POST /v1/batches. The options apply to every item; unknown fields are refused. */
        BatchCreateForm: {
            /**
             * @description `learned`: the network's learned upsampling (FCN-8s). `shift-and-stitch`: dense predictions from the coarse scores of shifted inputs (several times slower).
             * @default learned
             * @enum {string}
             */
            mode: "learned" | "shift-and-stitch";
            /**
             * @description `standard`: one pass of the network. `high`: test-time augmentation, the image mirrored and at three scales, scores averaged before the argmax (more accurate, about 6x the inference time; see the model card), through every model of the GPU tier's ensemble where one is configured (each model adds as much time again).
             * @default standard
             * @enum {string}
             */
            quality: "standard" | "high";
            /**
             * @description Outputs to produce, comma- or space-separated ("a,b", "a b") or a JSON array of strings, from: mask, probabilities, rle, overlay. `mask` is always produced (default: mask).
             * @example mask,probabilities
             */
            outputs?: string;
            /**
             * @description Events to deliver to `webhook_url`, comma- or space-separated ("a,b", "a b") or a JSON array of strings, from: job.started, job.succeeded, job.failed, job.canceled, batch.completed (default: batch.completed). The job events are sent for each item.
             * @example batch.completed,job.failed
             */
            webhook_events?: string;
            /**
             * Format: uri
             * @description Where to POST Standard Webhooks when the job ends (http or https; private and reserved addresses are refused with invalid_webhook_url). At most 2048 characters.
             */
            webhook_url?: string;
            /** @description The same as the `Cancel-After` header: seconds (1..86400) the job may take before it is canceled. */
            deadline_s?: number;
            /** @description the images, in order: the field `image` repeated, 1 to 100 times */
            image: string[];
        };
        /** @description application/json body of POST /v1/batches: the images by URL, with options shared by every item. */
        BatchCreateJson: {
            /** @description the images by URL, in order */
            images: {
                /**
                 * Format: uri
                 * @description Where the edge fetches the image (JPEG, PNG, WebP, HEIC or AVIF, the same limits as an upload): https, a public address (private, link-local and loopback targets are refused with unsafe_image_url, also behind a redirect); at most 3 redirects and 10 s.
                 */
                image_url: string;
            }[];
            /** @enum {string} */
            mode?: "learned" | "shift-and-stitch";
            /** @enum {string} */
            quality?: "standard" | "high";
            /** @description as the form field, or an array */
            outputs?: ("mask" | "probabilities" | "rle" | "overlay")[] | string;
            /** Format: uri */
            webhook_url?: string;
            /** @description as the form field, or an array (default: batch.completed) */
            webhook_events?: ("job.started" | "job.succeeded" | "job.failed" | "job.canceled" | "batch.completed")[] | string;
            deadline_s?: number;
        };
        /** @description Every part of the upload, in order. */
        OutputUploadComplete: {
            parts: components["schemas"]["OutputUploadPart"][];
        };
        /** @description A stored part: list it when completing the upload. */
        OutputUploadPart: {
            part_number: number;
            etag: string;
        };
        /** @description The GPU tier's report on a job (protocol/jobs.ts `JobCallback`). */
        JobCallback: {
            job_id: string;
            /** @enum {string} */
            status: "running";
            attempt: number;
        } | {
            job_id: string;
            /** @enum {string} */
            status: "progress";
            attempt: number;
            /** @enum {string} */
            stage: "downloading" | "inferring" | "encoding" | "uploading";
            fraction: number;
        } | {
            job_id: string;
            /** @enum {string} */
            status: "succeeded";
            attempt: number;
            /** @description What the GPU tier reports for a successful job (protocol/jobs.ts). */
            result: {
                model: string;
                width: number;
                height: number;
                class_fractions: number[];
                /** @description outputs written; each must have been PUT first */
                outputs: ("mask" | "probabilities" | "rle" | "overlay")[];
                timings_ms: {
                    queue_wait: number;
                    download: number;
                    decode: number;
                    inference: number;
                    upload: number;
                    total: number;
                };
                /** @enum {string} */
                provider: "cuda" | "cpu";
            };
        } | {
            job_id: string;
            /** @enum {string} */
            status: "failed";
            attempt: number;
            error: {
                code: string;
                message: string;
            };
        };
        /** @description Every error answers with this body. Each operation lists the codes it can answer. */
        ErrorBody: {
            error: {
                /** @description machine-readable, stable (e.g. `invalid_request`) */
                code: string;
                /** @description for humans; may change */
                message: string;
            };
        };
        /** @description The edge tier is up. */
        Health: {
            /** @enum {string} */
            status: "ok";
            /** @description `development` or `production` */
            environment: string;
        };
        /** @description Models served. */
        ModelList: {
            models: components["schemas"]["Model"][];
        };
        /** @description A model served by the edge (preview) or the GPU tier (jobs). */
        Model: {
            id: string;
            /**
             * @description `preview`: the model behind POST /v1/preview (this Worker); `jobs`: behind /v1/jobs (the GPU tier)
             * @enum {string}
             */
            role: "preview" | "jobs";
            /** @description fcn32s, fcn16s or fcn8s */
            variant: string;
            backbone: string;
            /**
             * @description storage of the weights; `fp16` stores them at half size and computes in fp32
             * @enum {string}
             */
            quantization: "fp32" | "fp16" | "int8";
            /** @description size of the ONNX file */
            bytes: number;
            /** @description size the input is resized to before inference; null: the input's own size */
            resolution: {
                width: number;
                height: number;
            } | null;
            /** @description whether this isolate has created the session yet; null for the GPU tier's model */
            loaded: boolean | null;
            /** @description class id = index */
            classes: {
                name: string;
                /** @description RGB colour */
                color: [
                    number,
                    number,
                    number
                ];
            }[];
            /** @description CamVid split the model trained on: `train`, or `train+val` (every labelled frame) */
            trained_on: string;
            /** @description CamVid val metrics (fractions); for a model trained on `train+val`, those of the same recipe's held-out-drive run */
            val: {
                [key: string]: number;
            } | null;
            /** @description metrics on a CamVid drive left out of training, the closest proxy for streets the model never saw; for a model trained on `train+val`, of the same recipe trained without that drive. null: not measured */
            held_out_drive: ({
                drive: string;
            } & {
                [key: string]: number;
            }) | null;
        };
        /** @description POST /v1/preview?format=json: the segmentation summarised per class. */
        PreviewResult: {
            model: string;
            /** @description mask width (the input's, after EXIF orientation) */
            width: number;
            height: number;
            /** @description size the model ran at */
            inference: {
                width: number;
                height: number;
            };
            /** @description EXIF orientation that was applied (1 = none) */
            orientation: number;
            classes: {
                id: number;
                name: string;
                /** @description RGB colour */
                color: [
                    number,
                    number,
                    number
                ];
                /** @description share of the mask's pixels */
                fraction: number;
            }[];
            timings_ms: {
                read: number;
                decode: number;
                resize: number;
                inference: number;
                postprocess: number;
                encode: number;
            };
        };
        /** @description A page of jobs, newest first. */
        JobList: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["Job"][];
            /** @description pass as `cursor` for the next page; null on the last */
            next_cursor: string | null;
        };
        /** @description Delivery attempts of a job's webhooks, oldest first. */
        WebhookDeliveryList: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["WebhookDelivery"][];
        };
        /** @description One attempt to deliver a webhook, or (outcome `dead_lettered`) the record that it was given up. */
        WebhookDelivery: {
            /** @description this record's id: the `delivery_id` of POST .../deliveries/{delivery_id}/redeliver */
            id: number;
            /** @description the `webhook-id` header, stable across retries and redeliveries: receivers deduplicate on it */
            webhook_id: string;
            /** @enum {string} */
            event: "job.started" | "job.succeeded" | "job.failed" | "job.canceled";
            /** @description 1, 2, ...; a redelivery's attempts continue the count; 0 for a `dead_lettered` record */
            attempt: number;
            url: string;
            /**
             * @description `delivered`: the receiver answered 2xx; `failed`: an error, timeout or non-2xx answer (retried with backoff); `refused`: the URL is not allowed (not retried); `dead_lettered`: no attempt but the record that every retry failed and the webhook was given up (POST .../redeliver sends it again)
             * @enum {string}
             */
            outcome: "delivered" | "failed" | "refused" | "dead_lettered";
            status_code: number | null;
            error: string | null;
            duration_ms: number;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A webhook queued to be sent again; its attempts appear in GET /v1/jobs/{id}/deliveries. */
        WebhookRedelivery: {
            /** @enum {string} */
            object: "webhook_redelivery";
            /** @enum {string} */
            status: "queued";
            job_id: string;
            /** @description the delivery record it repeats */
            delivery_id: number;
            /** @description the same `webhook-id` as before */
            webhook_id: string;
            /** @enum {string} */
            event: "job.started" | "job.succeeded" | "job.failed" | "job.canceled";
            /** @description the `attempt` number its first try will be listed with */
            first_attempt: number;
        };
        /** @description Delivery attempts of a batch's batch.completed webhook, oldest first (its items' job webhooks are listed on each job). */
        BatchDeliveryList: {
            /** @enum {string} */
            object: "list";
            data: {
                /** @description this record's id: the `delivery_id` of POST .../deliveries/{delivery_id}/redeliver */
                id: number;
                /** @description the `webhook-id` header, stable across retries and redeliveries: receivers deduplicate on it */
                webhook_id: string;
                /** @description 1, 2, ...; a redelivery's attempts continue the count; 0 for a `dead_lettered` record */
                attempt: number;
                url: string;
                /**
                 * @description `delivered`: the receiver answered 2xx; `failed`: an error, timeout or non-2xx answer (retried with backoff); `refused`: the URL is not allowed (not retried); `dead_lettered`: no attempt but the record that every retry failed and the webhook was given up (POST .../redeliver sends it again)
                 * @enum {string}
                 */
                outcome: "delivered" | "failed" | "refused" | "dead_lettered";
                status_code: number | null;
                error: string | null;
                duration_ms: number;
                /** Format: date-time */
                created_at: string;
                /** @enum {string} */
                event: "batch.completed";
            }[];
        };
        /** @description A new API key. */
        CreatedKey: {
            /** @description `key_...` */
            id: string;
            name: string;
            /** @description `fcn_...`: shown once, only its hash is stored */
            key: string;
            /** @description `whsec_...`: verifies this key's webhooks (Standard Webhooks) */
            webhook_secret: string;
            /** Format: date-time */
            created_at: string;
        };
        /** @description Optional JSON body of POST /v1/admin/keys. */
        CreateKeyRequest: {
            /** @description a label for the key (default "unnamed") */
            name?: string;
        };
        /** @description All keys, newest first. */
        KeyList: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["KeySummary"][];
        };
        /** @description An API key without its secret parts. */
        KeySummary: {
            id: string;
            name: string;
            /** @description the first 10 characters of the key */
            key_prefix: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            revoked_at: string | null;
        };
        /** @description The key is revoked. */
        RevokedKey: {
            id: string;
            /** @enum {boolean} */
            revoked: true;
        };
        /** @description A fresh API key for the demo page (development only). */
        DemoKey: {
            key: string;
        };
        /** @description A multipart output upload has started. */
        OutputUploadCreated: {
            /** @description names the upload in its later requests */
            upload_id: string;
        };
        /** @description Applied. */
        CallbackAck: {
            /** @enum {boolean} */
            ok: true;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    listModels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the edge model */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelList"];
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    preview: {
        parameters: {
            query?: {
                /** @description `png`: the mask as a palette PNG; `json`: class fractions and timings */
                format?: "png" | "json";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "image/jpeg": string;
                "image/png": string;
                "image/webp": string;
                "image/heic": string;
                "image/avif": string;
                "image/heif": string;
                "multipart/form-data": components["schemas"]["PreviewForm"];
            };
        };
        responses: {
            /** @description `format=png`: the mask; `format=json`: a summary per class */
            200: {
                headers: {
                    /** @description read, decode, resize, inference, postprocess and encode durations (ms) */
                    "Server-Timing"?: string;
                    /** @description the model's id (PNG answers) */
                    "X-Model"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "application/json": components["schemas"]["PreviewResult"];
                };
            };
            /** @description the body is empty, the image header or data cannot be read, or the request is malformed. `error.code`: `empty_body`, `unreadable_image`, `invalid_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "empty_body" | "unreadable_image" | "invalid_request";
                        };
                    };
                };
            };
            /** @description an Authorization header with an unknown or revoked key. `error.code`: `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description the image is larger than 10 MiB. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description neither image/jpeg, image/png, image/webp, image/heic, image/avif, image/heif nor multipart/form-data, or not such an image (JPEG XL, GIF, animated HEIF/AVIF). `error.code`: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unsupported_media_type";
                        };
                    };
                };
            };
            /** @description more pixels (or a longer side) than the limit, or more than the memory limit allows for this kind of image. `error.code`: `too_many_pixels` */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "too_many_pixels";
                        };
                    };
                };
            };
            /** @description too many previews from this address, or with this key, in the period. `error.code`: `rate_limited` */
            429: {
                headers: {
                    /** @description seconds to wait: the limit's period */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "rate_limited";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getJobOutput: {
        parameters: {
            query: {
                /** @description expiry, unix seconds */
                exp: number;
                /** @description hex HMAC-SHA256 of "METHOD path exp" */
                sig: string;
            };
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
                /** @description which output */
                name: "mask" | "probabilities" | "rle" | "overlay";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the output's bytes */
            200: {
                headers: {
                    /** @description `private, max-age=900` */
                    "Cache-Control"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "application/vnd.fcn.probabilities+uint8": string;
                    "application/json": Record<string, never>;
                    "image/jpeg": string;
                };
            };
            /** @description the URL is not signed, its signature does not match, or it has expired. `error.code`: `invalid_signature`, `url_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "url_expired";
                        };
                    };
                };
            };
            /** @description no such output. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    listJobs: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of jobs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            /** @description limit out of range or an invalid cursor. `error.code`: `invalid_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_request";
                        };
                    };
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    createJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe submission: the same key with the same request answers the first job (with `Idempotent-Replayed: true`); with a different request, 409 idempotency_conflict. */
                "idempotency-key"?: string;
                /** @description RFC 7240. `wait=N` (N = 1..60): hold the answer until the job ends or N seconds pass: 200 with the ended job, else 202; either way with `Preference-Applied: wait=N`. A malformed preference is ignored. */
                prefer?: string;
                /** @description Seconds (1..86400) the job may take from now: not finished by then, it is canceled (`error.code` `deadline_exceeded`); queued work never starts, running work stops at its next stage or tile. The same as the form field `deadline_s` (give one of them). */
                "cancel-after"?: number;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["JobCreateForm"];
                "application/json": components["schemas"]["JobCreateJson"];
            };
        };
        responses: {
            /** @description with `Prefer: wait=N`: the job ended within N seconds (succeeded, failed or canceled) */
            200: {
                headers: {
                    /** @description `/v1/jobs/{id}` */
                    Location?: string;
                    /** @description `true` when this answers an earlier request */
                    "Idempotent-Replayed"?: string;
                    /** @description `wait=N` when a `Prefer: wait=N` was honoured */
                    "Preference-Applied"?: string;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description accepted (or, with a reused Idempotency-Key, the job it created); with `Prefer: wait=N`, the job had not ended after N seconds */
            202: {
                headers: {
                    /** @description `/v1/jobs/{id}` */
                    Location?: string;
                    /** @description `true` when this answers an earlier request */
                    "Idempotent-Replayed"?: string;
                    /** @description `wait=N` when a `Prefer: wait=N` was honoured */
                    "Preference-Applied"?: string;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description empty or unreadable image, a malformed multipart or JSON body, an invalid option field (unknown fields too), a bad Idempotency-Key or Cancel-After (or deadline_s), a webhook_url that is no URL or points at a private address, or an image_url the edge may not fetch (not https, a private, link-local or loopback target, also behind a redirect). `error.code`: `empty_body`, `unreadable_image`, `invalid_request`, `invalid_webhook_url`, `unsafe_image_url` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "empty_body" | "unreadable_image" | "invalid_request" | "invalid_webhook_url" | "unsafe_image_url";
                        };
                    };
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description the Idempotency-Key was used with another request. `error.code`: `idempotency_conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "idempotency_conflict";
                        };
                    };
                };
            };
            /** @description the image is larger than 25 MiB. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description the body is neither multipart/form-data nor application/json, or the image is not JPEG, PNG, WebP, HEIC or AVIF. `error.code`: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unsupported_media_type";
                        };
                    };
                };
            };
            /** @description more pixels (or a longer side) than the limit, or image_url could not be fetched (network error, no answer within 10 s, more than 3 redirects, a non-2xx answer: the message says which). `error.code`: `too_many_pixels`, `image_url_unreachable` */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "too_many_pixels" | "image_url_unreachable";
                        };
                    };
                };
            };
            /** @description too many submissions (more than 60 per minute), or (with `Prefer: wait`) 5 held already. `error.code`: `rate_limited` */
            429: {
                headers: {
                    /** @description seconds until the next request is allowed */
                    "Retry-After"?: number;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "rate_limited";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the webhook_url's or image_url's host name could not be resolved to be checked (try again), or the deployment lacks its public origin (PUBLIC_BASE_URL). `error.code`: `dns_unavailable`, `misconfigured` */
            503: {
                headers: {
                    /** @description seconds to wait (dns_unavailable) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "dns_unavailable" | "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the job */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such job (another key's jobs answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the job, its data deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such job (another key's jobs answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job is running. `error.code`: `not_cancelable` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_cancelable";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    streamJobEvents: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the event stream */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such job (another key's jobs answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the key already holds 10 open event streams. `error.code`: `rate_limited` */
            429: {
                headers: {
                    /** @description seconds to wait */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "rate_limited";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    listJobDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the attempts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryList"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such job (another key's jobs answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    redeliverJobWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
                /** @description the `id` of an entry of GET /v1/jobs/{id}/deliveries */
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description queued */
            202: {
                headers: {
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookRedelivery"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such job, or no such delivery of it (another key's answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job has no webhook_url. `error.code`: `no_webhook` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "no_webhook";
                        };
                    };
                };
            };
            /** @description too many redeliveries: the key's bucket is empty (it refills one request every 60/limit s). `error.code`: `rate_limited` */
            429: {
                headers: {
                    /** @description seconds until the next request is allowed */
                    "Retry-After"?: number;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "rate_limited";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    createBatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe submission of the whole batch: the same key with the same images and options answers the first batch (with `Idempotent-Replayed: true`), finishing its acceptance if that was cut short; with a different request, 409 idempotency_conflict. */
                "idempotency-key"?: string;
                /** @description Seconds every item's job may take from now (as for a job); the same as the field `deadline_s`. */
                "cancel-after"?: number;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["BatchCreateForm"];
                "application/json": components["schemas"]["BatchCreateJson"];
            };
        };
        responses: {
            /** @description accepted (or, with a reused Idempotency-Key, the batch it created) */
            202: {
                headers: {
                    /** @description `/v1/batches/{id}` */
                    Location?: string;
                    /** @description `true` when this answers an earlier request */
                    "Idempotent-Replayed"?: string;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Batch"];
                };
            };
            /** @description more than 100 images (too_many_items), none, an item that is unreadable or an image_url the edge may not fetch (the message names the item's index), or an invalid option. `error.code`: `empty_body`, `unreadable_image`, `invalid_request`, `invalid_webhook_url`, `unsafe_image_url`, `too_many_items` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "empty_body" | "unreadable_image" | "invalid_request" | "invalid_webhook_url" | "unsafe_image_url" | "too_many_items";
                        };
                    };
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description the Idempotency-Key was used with another request. `error.code`: `idempotency_conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "idempotency_conflict";
                        };
                    };
                };
            };
            /** @description an image over 25 MiB, or more than 32 MiB together. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description neither multipart/form-data nor application/json, or an item is not a JPEG, PNG, WebP, HEIC or AVIF. `error.code`: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unsupported_media_type";
                        };
                    };
                };
            };
            /** @description an item has too many pixels, or its image_url could not be fetched (also: the batch's redirects or fetching time ran out). `error.code`: `too_many_pixels`, `image_url_unreachable` */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "too_many_pixels" | "image_url_unreachable";
                        };
                    };
                };
            };
            /** @description too many batches: the key's bucket is empty (it refills one request every 60/limit s). `error.code`: `rate_limited` */
            429: {
                headers: {
                    /** @description seconds until the next request is allowed */
                    "Retry-After"?: number;
                    /** @description requests allowed per minute and key (a burst of this many, then refilled evenly) */
                    "RateLimit-Limit"?: number;
                    /** @description requests the key may send right now */
                    "RateLimit-Remaining"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "rate_limited";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description a host name could not be resolved to be checked (try again), or PUBLIC_BASE_URL is missing. `error.code`: `dns_unavailable`, `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "dns_unavailable" | "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getBatch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the batch's id (`batch_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the batch */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Batch"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such batch (another key's batches answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    listBatchDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the batch's id (`batch_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the attempts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchDeliveryList"];
                };
            };
            /** @description the API key is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no such batch (another key's batches answer the same). `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description every key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyList"];
                };
            };
            /** @description the admin token is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    createKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description optional; without a body the key is named `unnamed` */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CreateKeyRequest"];
            };
        };
        responses: {
            /** @description the new key */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedKey"];
                };
            };
            /** @description the body is not JSON like the schema. `error.code`: `invalid_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_request";
                        };
                    };
                };
            };
            /** @description the admin token is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description a body that is not application/json. `error.code`: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unsupported_media_type";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    revokeKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the key's id (`key_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RevokedKey"];
                };
            };
            /** @description the admin token is missing, unknown or revoked. `error.code`: `unauthorized` */
            401: {
                headers: {
                    /** @description `Bearer realm="fcn"` */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "unauthorized";
                        };
                    };
                };
            };
            /** @description no active key with that id. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getDemoKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a new key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DemoKey"];
                };
            };
            /** @description outside development. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getJobInput: {
        parameters: {
            query: {
                /** @description expiry, unix seconds */
                exp: number;
                /** @description hex HMAC-SHA256 of "METHOD path exp" */
                sig: string;
            };
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the stored image */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                    "image/webp": string;
                    "image/heic": string;
                    "image/avif": string;
                    "image/heif": string;
                };
            };
            /** @description the URL is not signed, its signature does not match, or it has expired. `error.code`: `invalid_signature`, `url_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "url_expired";
                        };
                    };
                };
            };
            /** @description no such job, or its input is gone. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job takes no more work. `error.code`: `already_completed`, `job_canceled` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "already_completed" | "job_canceled";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    putJobOutput: {
        parameters: {
            query: {
                /** @description expiry, unix seconds */
                exp: number;
                /** @description hex HMAC-SHA256 of "METHOD path exp" */
                sig: string;
                /** @description the upload (absent: the whole output in one body) */
                upload_id?: string;
                /** @description with upload_id */
                part_number?: number;
            };
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
                /** @description which output */
                name: "mask" | "probabilities" | "rle" | "overlay";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "image/png": string;
                "application/vnd.fcn.probabilities+uint8": string;
                "application/json": Record<string, never>;
                "image/jpeg": string;
            };
        };
        responses: {
            /** @description the part is stored */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutputUploadPart"];
                };
            };
            /** @description stored */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the output is empty; a bad part_number. `error.code`: `empty_body`, `invalid_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "empty_body" | "invalid_request";
                        };
                    };
                };
            };
            /** @description the URL is not signed, its signature does not match, or it has expired. `error.code`: `invalid_signature`, `url_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "url_expired";
                        };
                    };
                };
            };
            /** @description no such job or output name. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job takes no more work. `error.code`: `already_completed`, `job_canceled` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "already_completed" | "job_canceled";
                        };
                    };
                };
            };
            /** @description no Content-Length. `error.code`: `length_required` */
            411: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "length_required";
                        };
                    };
                };
            };
            /** @description more than 64 MiB in one body. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    postJobOutputUpload: {
        parameters: {
            query: {
                /** @description expiry, unix seconds */
                exp: number;
                /** @description hex HMAC-SHA256 of "METHOD path exp" */
                sig: string;
                /** @description present: start an upload */
                uploads?: string;
                /** @description present: complete this upload */
                upload_id?: string;
            };
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
                /** @description which output */
                name: "mask" | "probabilities" | "rle" | "overlay";
            };
            cookie?: never;
        };
        /** @description to complete: every part */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["OutputUploadComplete"];
            };
        };
        responses: {
            /** @description started */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutputUploadCreated"];
                };
            };
            /** @description completed: the output is stored */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the list of parts is not JSON like the schema. `error.code`: `invalid_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_request";
                        };
                    };
                };
            };
            /** @description the URL is not signed, its signature does not match, or it has expired. `error.code`: `invalid_signature`, `url_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "url_expired";
                        };
                    };
                };
            };
            /** @description no such job or output name, or neither query. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job takes no more work. `error.code`: `already_completed`, `job_canceled` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "already_completed" | "job_canceled";
                        };
                    };
                };
            };
            /** @description a body over 64 KiB. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    abortJobOutputUpload: {
        parameters: {
            query: {
                /** @description expiry, unix seconds */
                exp: number;
                /** @description hex HMAC-SHA256 of "METHOD path exp" */
                sig: string;
                /** @description the upload to abort (required) */
                upload_id?: string;
            };
            header?: never;
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
                /** @description which output */
                name: "mask" | "probabilities" | "rle" | "overlay";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description aborted: its parts are gone */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the URL is not signed, its signature does not match, or it has expired. `error.code`: `invalid_signature`, `url_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "url_expired";
                        };
                    };
                };
            };
            /** @description no such job or output name, or no upload_id. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the job takes no more work. `error.code`: `already_completed`, `job_canceled` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "already_completed" | "job_canceled";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    postJobCallback: {
        parameters: {
            query?: never;
            header?: {
                /** @description unique per callback; a reused id is refused as a replay */
                "webhook-id"?: string;
                /** @description unix seconds; must be within 300 s of the edge's clock */
                "webhook-timestamp"?: number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with CALLBACK_SECRET (Standard Webhooks) */
                "webhook-signature"?: string;
            };
            path: {
                /** @description the job's id (`job_...`) */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobCallback"];
            };
        };
        responses: {
            /** @description applied */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CallbackAck"];
                };
            };
            /** @description the body is not JSON, has an unknown status, or names another job. `error.code`: `invalid_request`, `job_mismatch` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_request" | "job_mismatch";
                        };
                    };
                };
            };
            /** @description missing or wrong signature headers, or a timestamp outside 300 s. `error.code`: `invalid_signature`, `stale_callback` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "invalid_signature" | "stale_callback";
                        };
                    };
                };
            };
            /** @description no such job. `error.code`: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "not_found";
                        };
                    };
                };
            };
            /** @description the callback id was used before; the job is already final; or success was reported before every output was PUT. `error.code`: `replayed_callback`, `already_completed`, `missing_outputs` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "replayed_callback" | "already_completed" | "missing_outputs";
                        };
                    };
                };
            };
            /** @description a body over 1 MiB. `error.code`: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "payload_too_large";
                        };
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        openapi: string;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    getDocs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description HTML */
            200: {
                headers: {
                    /** @description what the page may load */
                    "Content-Security-Policy"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description a fault on our side; it has been logged. `error.code`: `internal_error` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "internal_error";
                        };
                    };
                };
            };
            /** @description the deployment is incomplete, e.g. its database has no schema (apply the D1 migrations). `error.code`: `misconfigured` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "misconfigured";
                        };
                    };
                };
            };
        };
    };
    webhook_job_started: {
        parameters: {
            query?: never;
            header: {
                /** @description `msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate */
                "webhook-id": string;
                /** @description unix seconds */
                "webhook-timestamp": number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key's secret */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description delivered */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not delivered: retried later */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    webhook_job_succeeded: {
        parameters: {
            query?: never;
            header: {
                /** @description `msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate */
                "webhook-id": string;
                /** @description unix seconds */
                "webhook-timestamp": number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key's secret */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description delivered */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not delivered: retried later */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    webhook_job_failed: {
        parameters: {
            query?: never;
            header: {
                /** @description `msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate */
                "webhook-id": string;
                /** @description unix seconds */
                "webhook-timestamp": number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key's secret */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description delivered */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not delivered: retried later */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    webhook_job_canceled: {
        parameters: {
            query?: never;
            header: {
                /** @description `msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate */
                "webhook-id": string;
                /** @description unix seconds */
                "webhook-timestamp": number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key's secret */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description delivered */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not delivered: retried later */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    webhook_batch_completed: {
        parameters: {
            query?: never;
            header: {
                /** @description `msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate */
                "webhook-id": string;
                /** @description unix seconds */
                "webhook-timestamp": number;
                /** @description `v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key's secret */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BatchWebhookPayload"];
            };
        };
        responses: {
            /** @description delivered */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not delivered: retried later */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
