/**
 * What the edge knows of the GPU tier's model (the FCN-8s behind /v1/jobs): its metadata,
 * copied from the ONNX file into `models/fcn8s.meta.json` by `models/fcn/export.py` (a test
 * holds the two equal), so the Worker can describe the model and name its classes without
 * bundling 10 MB of weights.
 */
import meta from "../../models/fcn8s.meta.json";
import type { ModelMetadata } from "../../models/runtime/model-metadata.ts";

// JSON imports widen tuples (colours) to arrays; the test checks the file against the model.
export const jobsModelMeta = meta as unknown as ModelMetadata & { bytes: number };

/** Per-class shares as clients read them: id, name and fraction, like the preview's. */
export const namedFractions = (fractions: number[]) =>
  fractions.map((fraction, id) => ({ id, name: jobsModelMeta.classes[id]?.name ?? `class ${id}`, fraction }));
