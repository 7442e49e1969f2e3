// What worker/test/global-setup.ts provides to the workerd tests (vitest inject()).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /**
     * CamVid val samples (base64 JPEG) and their masks from `npx fcn predict` (base64 PNG):
     * `mask` on the Worker's engine (`--provider wasm`), `nativeMask` on onnxruntime-node CPU.
     */
    samples: { name: string; image: string; mask: string; nativeMask: string }[];
    /** the CamVid val images (base64, with their content type); empty where the dataset is absent */
    camvidVal: { name: string; type: string; image: string }[];
    /** why the tests that need CamVid skip here; empty where they run (present, or CI set) */
    camvidSkip: string;
    /** where CamVid was looked for and how to get it, for the failure under CI */
    camvidMissing: string;
    /** generated test images, base64 */
    images: Record<string, string>;
    /** origin of a loopback HTTP server that serves test images for `image_url` (global-setup.ts) */
    imageServer: string;
  }
}
