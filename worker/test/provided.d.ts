// What worker/test/global-setup.ts provides to the workerd tests (vitest inject()).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** CamVid val samples (base64 JPEG) and their masks from `npx fcn predict` (base64 PNG) */
    samples: { name: string; image: string; mask: string }[];
    /** generated test images, base64 */
    images: Record<string, string>;
  }
}
